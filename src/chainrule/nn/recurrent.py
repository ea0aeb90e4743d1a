"""RNN, LSTM, GRU, their single-step cells (RNNCell, LSTMCell, GRUCell) and
MultiheadAttention, with PyTorch's parameter names, gate order and initialization (so state
dicts load across)."""
from __future__ import annotations as _annotations

import math as _math
import numbers as _numbers
import warnings as _warnings

import numpy as _np

from .. import _backend
from ..autograd.engine import graph_namespace as _graph_namespace
from ..autograd.primitives import Primitive as _Primitive
from ..autograd.primitives import apply as _apply
from ..autograd.primitives import call as _call
from ..autograd.primitives import defjvp as _defjvp
from ..autograd.primitives import defvjp_all as _defvjp_all
from ..autograd.tensor import Tensor as _Tensor
from ..autograd.tensor import as_array as _as_array
from ..creation import zeros as _zeros
from ..errors import OpError as _OpError
from ..errors import OpTypeError as _OpTypeError
from ..ops import elementwise as _ew
from ..ops import linalg as _linalg
from ..ops import shape as _sh
from ..ops.index import masked_fill as _masked_fill
from . import functional as _F
from . import init as _init
from .layers import _empty
from .layers import Linear as _Linear
from .module import Module as _Module

__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "MultiheadAttention",
           "lstm_scan_p", "lstm_scan"]


def __dir__():
    return __all__


# ----- one time step, shared by the sequence modules and the cells -------------------------
# ``x_proj`` is W_ih x + b_ih (+ b_hh where the caller folded it in; GRU cannot fold b_hh,
# whose new-gate part is scaled by r).
def _tanh_step(x_proj, h, c, w_hh, b_hh):
    return (x_proj + _F.linear(h, w_hh, b_hh)).tanh(), None


def _relu_step(x_proj, h, c, w_hh, b_hh):
    return (x_proj + _F.linear(h, w_hh, b_hh)).relu(), None


def _lstm_step(x_proj, h, c, w_hh, b_hh):
    gates = x_proj + _F.linear(h, w_hh, b_hh)
    i, f, g, o = _sh.chunk(gates, 4, dim=-1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def _gru_step(x_proj, h, c, w_hh, b_hh):
    hh = _F.linear(h, w_hh, b_hh)
    xr, xz, xn = _sh.chunk(x_proj, 3, dim=-1)
    hr, hz, hn = _sh.chunk(hh, 3, dim=-1)
    r = (xr + hr).sigmoid()
    z = (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return (1.0 - z) * n + z * h, None


# ----- the LSTM recurrence over a whole sequence, as one primitive ---------------------------
# Recorded op by op, a sequence of T steps is ~15 nodes per step, and the per-step slices
# proj[t] cost a zero-filled gradient of the whole (T, B, 4H) projection each in backward
# (O(T^2) memory traffic). As one primitive, the forward and its VJP are plain loops over
# raw arrays (one GEMM per step each way, and one GEMM for W_hh's gradient), and the
# gradient of the projection is one (T, B, 4H) array. Its output is (T + 1, B, H): the
# hidden states h_t in time order, then the last cell state c_n.
def _order(steps: int, reverse: bool):
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _sigmoid_(xp, a):
    """``a`` replaced by sigmoid(a) = (1 + tanh(a / 2)) / 2, in place (a raw array or a
    view of one): exact, overflow-free, and in float32 several times faster than SciPy's
    expit on small arrays."""
    a *= 0.5
    xp.tanh(a, out=a)
    a *= 0.5
    a += 0.5


def _lstm_scan_forward(xp, proj, h0, c0, w_hh, reverse, residual=False):
    steps, batch, four_h = proj.shape
    hid = four_h // 4
    dtype = xp.result_type(proj, h0, c0, w_hh)
    acts = xp.empty((steps, batch, four_h), dtype)  # sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)
    cs = xp.empty((steps, batch, hid), dtype)  # c_t
    tcs = xp.empty((steps, batch, hid), dtype)  # tanh(c_t)
    hs = xp.empty((steps, batch, hid), dtype)  # h_t
    w_t = xp.ascontiguousarray(w_hh.T)  # a small GEMM with a transposed operand is ~2x slower
    h, c = h0, c0
    for t in _order(steps, reverse):
        a = acts[t]
        xp.matmul(h, w_t, out=a)
        a += proj[t]
        _sigmoid_(xp, a[..., :2 * hid])
        xp.tanh(a[..., 2 * hid:3 * hid], out=a[..., 2 * hid:3 * hid])
        _sigmoid_(xp, a[..., 3 * hid:])
        c_t = cs[t]
        xp.multiply(a[..., hid:2 * hid], c, out=c_t)
        c_t += a[..., :hid] * a[..., 2 * hid:3 * hid]
        xp.tanh(c_t, out=tcs[t])
        xp.multiply(a[..., 3 * hid:], tcs[t], out=hs[t])
        h, c = hs[t], c_t
    out = xp.concatenate([hs, xp.expand_dims(xp.asarray(c, dtype), 0)], axis=0)
    return out, ((acts, cs, tcs, hs) if residual else None)


def _lstm_scan_vjp(xp, g, res, inputs, needs, reverse):
    proj, h0, c0, w_hh = inputs
    if res is None or xp is _graph_namespace():
        return _lstm_scan_vjp_graph(xp, g, inputs, needs, reverse)
    acts, cs, tcs, hs = res
    steps, batch, four_h = acts.shape
    hid = four_h // 4
    order = _order(steps, reverse)
    # The gates' own derivatives for every step at once (a few large operations rather than
    # many small ones): s(1 - s) for the sigmoids, 1 - t^2 for tanh(g); and o (1 - tanh^2 c).
    dact = acts * (1.0 - acts)
    gg_all = acts[..., 2 * hid:3 * hid]
    xp.subtract(1.0, gg_all * gg_all, out=dact[..., 2 * hid:3 * hid])
    dtc = acts[..., 3 * hid:] * (1.0 - tcs * tcs)
    dgates = xp.empty_like(acts)
    dh = None
    dc = xp.array(g[steps], dtype=acts.dtype)  # a copy: updated in place below
    last = len(order) - 1
    for n, t in enumerate(reversed(order)):
        a, d = acts[t], dgates[t]
        c_prev = c0 if n == last else cs[order[last - n - 1]]
        dh_t = g[t] if dh is None else g[t] + dh
        dc += dh_t * dtc[t]
        xp.multiply(dc, a[..., 2 * hid:3 * hid], out=d[..., :hid])
        xp.multiply(dc, c_prev, out=d[..., hid:2 * hid])
        xp.multiply(dc, a[..., :hid], out=d[..., 2 * hid:3 * hid])
        xp.multiply(dh_t, tcs[t], out=d[..., 3 * hid:])
        d *= dact[t]
        dc *= a[..., hid:2 * hid]
        if n < last or needs[1]:
            dh = xp.matmul(d, w_hh)
    grads = [dgates if needs[0] else None, dh if needs[1] else None,
             dc if needs[2] else None, None]
    if needs[3]:
        # dW_hh = sum_t dgates_t^T h_{t-1}: one GEMM over every step at once.
        h0e = xp.expand_dims(xp.asarray(h0, acts.dtype), 0)
        prev = xp.concatenate([hs[1:], h0e] if reverse else [h0e, hs[:-1]], axis=0)
        grads[3] = xp.matmul(dgates.reshape(-1, four_h).T, prev.reshape(-1, hid))
    return grads


def _lstm_scan_steps(xp, proj, h0, c0, w_hh, reverse):
    """The recurrence written with differentiable ops (recorded when ``xp`` is the graph
    namespace): per step, (i, f, g, o, c_prev, c_t, tanh(c_t), h_prev)."""
    steps, hid = proj.shape[0], h0.shape[-1]
    w_t = xp.swapaxes(w_hh, 0, 1)
    h, c = h0, c0
    out = [None] * steps
    for t in _order(steps, reverse):
        gates = proj[t] + _call(xp, _linalg.matmul_p, h, w_t)
        sig = _call(xp, _ew.sigmoid, gates[..., :2 * hid])
        i, f = sig[..., :hid], sig[..., hid:]
        gg = xp.tanh(gates[..., 2 * hid:3 * hid])
        o = _call(xp, _ew.sigmoid, gates[..., 3 * hid:])
        c_t = f * c + i * gg
        tc = xp.tanh(c_t)
        out[t] = (i, f, gg, o, c, c_t, tc, h)
        h, c = o * tc, c_t
    return out


def _lstm_scan_vjp_graph(xp, g, inputs, needs, reverse):
    """The VJP on tensors, for a recorded backward pass (double backward): the forward is
    recomputed with differentiable ops and the same BPTT recursion runs on them."""
    proj, h0, c0, w_hh = inputs
    steps = proj.shape[0]
    rec = _lstm_scan_steps(xp, proj, h0, c0, w_hh, reverse)
    dh, dc = None, g[steps]
    dgates = [None] * steps
    for t in reversed(_order(steps, reverse)):
        i, f, gg, o, c_prev, c_t, tc, h_prev = rec[t]
        dh_t = g[t] if dh is None else g[t] + dh
        dc = dc + dh_t * o * (1.0 - tc * tc)
        d = xp.concatenate([dc * gg * (i * (1.0 - i)), dc * c_prev * (f * (1.0 - f)),
                            dc * i * (1.0 - gg * gg), dh_t * tc * (o * (1.0 - o))], axis=-1)
        dgates[t] = d
        dc = dc * f
        dh = _call(xp, _linalg.matmul_p, d, w_hh)
    grads = [None] * 4
    if needs[0]:
        grads[0] = xp.stack(dgates, axis=0)
    if needs[1]:
        grads[1] = dh
    if needs[2]:
        grads[2] = dc
    if needs[3]:
        total = None
        for t in range(steps):
            term = _call(xp, _linalg.matmul_p, xp.swapaxes(dgates[t], 0, 1), rec[t][7])
            total = term if total is None else total + term
        grads[3] = total
    return grads


def _lstm_scan_jvp(xp, ts, ans, proj, h0, c0, w_hh, reverse):
    tp, th, tc, tw = ts
    steps = proj.shape[0]
    rec = _lstm_scan_steps(xp, proj, h0, c0, w_hh, reverse)
    hid = h0.shape[-1]
    w_t = xp.swapaxes(w_hh, 0, 1)
    tw_t = None if tw is None else xp.swapaxes(tw, 0, 1)
    out = [None] * steps
    for t in _order(steps, reverse):
        i, f, gg, o, c_prev, c_t, tanh_c, h_prev = rec[t]
        tg = None if tp is None else tp[t]
        for term in (None if th is None else _call(xp, _linalg.matmul_p, th, w_t),
                     None if tw is None else _call(xp, _linalg.matmul_p, h_prev, tw_t)):
            if term is not None:
                tg = term if tg is None else tg + term
        new_c = None if tc is None else f * tc
        if tg is not None:
            ti = tg[..., :hid] * (i * (1.0 - i))
            tf = tg[..., hid:2 * hid] * (f * (1.0 - f))
            tgg = tg[..., 2 * hid:3 * hid] * (1.0 - gg * gg)
            to = tg[..., 3 * hid:] * (o * (1.0 - o))
            part = tf * c_prev + ti * gg + i * tgg
            new_c = part if new_c is None else new_c + part
        if new_c is None:  # no tangent reaches this step yet
            new_h = xp.zeros_like(h_prev)
            new_c = xp.zeros_like(c_prev)
        else:
            new_h = o * (1.0 - tanh_c * tanh_c) * new_c
            if tg is not None:
                new_h = new_h + to * tanh_c
        out[t] = new_h
        th, tc = new_h, new_c
    return xp.concatenate([xp.stack(out, axis=0), xp.expand_dims(tc, 0)], axis=0)


lstm_scan_p = _Primitive("lstm_scan", _lstm_scan_forward, saves=None, residual=True)
_defvjp_all(lstm_scan_p, _lstm_scan_vjp)
_defjvp(lstm_scan_p, _lstm_scan_jvp)


def lstm_scan(proj, h0, c0, w_hh, reverse: bool = False):
    """The LSTM recurrence over a sequence (PyTorch's gate order i, f, g, o):
    ``proj`` (T, B, 4H) holds each step's input projection with both biases, ``h0``, ``c0``
    (B, H) the initial state, ``w_hh`` (4H, H) the recurrent weight; ``reverse`` runs from
    the last step to the first. Returns (T + 1, B, H): the hidden state of each step in
    time order, then the final cell state.

    >>> import chainrule as cr
    >>> lstm_scan(cr.zeros(5, 3, 8), cr.zeros(3, 2), cr.zeros(3, 2), cr.zeros(8, 2)).shape
    (6, 3, 2)
    """
    ps, hs, cs, ws = _shape(proj), _shape(h0), _shape(c0), _shape(w_hh)
    if len(ps) != 3 or hs != cs or len(hs) != 2 or ws != (ps[2], hs[1]) or \
            ps[1:] != (hs[0], 4 * hs[1]):
        raise _OpError(f"lstm_scan: shapes proj {ps}, h0 {hs}, c0 {cs}, w_hh {ws} do not fit; "
                       f"expected (T, B, 4H), (B, H), (B, H) and (4H, H)")
    return _apply(lstm_scan_p, (proj, h0, c0, w_hh), {"reverse": bool(reverse)})


def _check_sizes(name: str, input_size, hidden_size) -> None:
    for arg, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if type(value) is not int:
            raise _OpTypeError(f"{name}: {arg} must be a positive integer, got {value!r}")
        if value <= 0:
            raise _OpError(f"{name}: {arg} must be a positive integer, got {value}")


def _shape(t) -> tuple:
    return tuple(t.shape)


# ----- RNN, LSTM, GRU over a sequence --------------------------------------------------------
class _RNNBase(_Module):
    gates = 1
    _fold_bias = True  # b_hh can be added to the input projection once (not for GRU)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        _check_sizes(name, input_size, hidden_size)
        if type(num_layers) is not int or num_layers <= 0:
            raise _OpError(f"{name}: num_layers must be a positive integer, got "
                           f"{num_layers!r}")
        if (isinstance(dropout, bool) or not isinstance(dropout, _numbers.Number)
                or not 0 <= dropout <= 1):
            raise _OpError(f"{name}: dropout should be a number in range [0, 1] representing "
                           f"the probability of an element being zeroed, got {dropout!r}")
        if proj_size != 0:
            # PyTorch's projected LSTM (weight_hr_l*) is not implemented here.
            where = ("projected LSTMs are not supported by chainrule" if name == "LSTM"
                     else "proj_size is only supported for LSTM, not RNN or GRU")
            raise _OpError(f"{name}: proj_size={proj_size!r} is not supported ({where}); "
                           f"use proj_size=0, with a Linear on the output if needed")
        if dropout > 0 and num_layers == 1:
            _warnings.warn(f"{name}: dropout option adds dropout after all but last recurrent "
                           f"layer, so non-zero dropout expects num_layers greater than 1, "
                           f"but got dropout={dropout} and num_layers={num_layers}",
                           stacklevel=2)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bool(bidirectional), 0
        directions = 2 if bidirectional else 1
        bound = 1.0 / _math.sqrt(hidden_size)
        self._flat_weights_names = []
        for layer in range(num_layers):
            for d in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                in_size = input_size if layer == 0 else hidden_size * directions
                names = [("weight_ih", (self.gates * hidden_size, in_size)),
                         ("weight_hh", (self.gates * hidden_size, hidden_size))]
                if bias:
                    names += [("bias_ih", (self.gates * hidden_size,)),
                              ("bias_hh", (self.gates * hidden_size,))]
                for pname, shape in names:
                    p = _empty(shape, dtype, name)
                    _init.uniform_(p, -bound, bound)
                    setattr(self, pname + suffix, p)
                    self._flat_weights_names.append(pname + suffix)

    def flatten_parameters(self) -> None:
        """A no-op: PyTorch packs cuDNN weights here; chainrule's weights need no packing."""

    @property
    def all_weights(self) -> list:
        """The parameters, one list per layer and direction, as in PyTorch."""
        per = 4 if self.bias else 2
        flat = [getattr(self, n) for n in self._flat_weights_names]
        return [flat[i:i + per] for i in range(0, len(flat), per)]

    def _step(self, x_proj, h, c, w_hh, b_hh):
        raise NotImplementedError

    def forward(self, x, hx=None):
        name = type(self).__name__
        if x.ndim not in (2, 3):
            raise _OpError(f"{name}: expected a 2-D (unbatched) or 3-D input, got shape "
                           f"{_shape(x)}")
        if x.shape[-1] != self.input_size:
            raise _OpError(f"{name}: the input's last dim must be input_size = "
                           f"{self.input_size}, got an input of shape {_shape(x)}")
        unbatched = x.ndim == 2
        if self.batch_first and not unbatched:
            x = _sh.swapaxes(x, 0, 1)
        if unbatched:
            x = _sh.unsqueeze(x, 1)
        seq_len, batch = x.shape[:2]
        h0, c0 = self._split_state(hx, batch, x.dtype, unbatched)
        directions = 2 if self.bidirectional else 1
        layer_input = x
        h_out, c_out = [], []
        for layer in range(self.num_layers):
            outputs = []
            for d in range(directions):
                k = layer * directions + d
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                w_ih = getattr(self, "weight_ih" + suffix)
                w_hh = getattr(self, "weight_hh" + suffix)
                b_ih = getattr(self, "bias_ih" + suffix) if self.bias else None
                b_hh = getattr(self, "bias_hh" + suffix) if self.bias else None
                # The input projection of every time step in one matmul; where the recurrence
                # allows it, b_hh joins it once rather than once per step.
                if b_hh is not None and self._fold_bias:
                    b_ih, b_hh = b_ih + b_hh, None
                # 2-D, so it is one GEMM forward and back (a 3-D @ 2-D matmul is a GEMM per
                # time step, and its weight gradient a (T, in, out) array summed after).
                proj = _sh.reshape(_F.linear(_sh.reshape(layer_input, (seq_len * batch, -1)),
                                             w_ih, b_ih), (seq_len, batch, -1))
                h, c = h0[k], (c0[k] if c0 is not None else None)
                if self.gates == 4 and b_hh is None and seq_len:
                    # LSTM: the whole recurrence as one op (see lstm_scan).
                    scanned = lstm_scan(proj, h, c, w_hh, reverse=bool(d))
                    outputs.append(scanned[:seq_len])
                    h, c = scanned[0 if d else seq_len - 1], scanned[seq_len]
                    h_out.append(h)
                    c_out.append(c)
                    continue
                steps = range(seq_len - 1, -1, -1) if d else range(seq_len)
                seq = [None] * seq_len
                for t in steps:
                    h, c = self._step(proj[t], h, c, w_hh, b_hh)
                    seq[t] = h
                outputs.append(_sh.stack(seq, 0))
                h_out.append(h)
                if c is not None:
                    c_out.append(c)
            layer_input = outputs[0] if directions == 1 else _sh.concatenate(outputs, axis=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = _F.dropout(layer_input, self.dropout, True)
        out = layer_input
        h_n = _sh.stack(h_out, 0)
        c_n = _sh.stack(c_out, 0) if c_out else None
        if unbatched:
            out, h_n = _sh.squeeze(out, 1), _sh.squeeze(h_n, 1)
            c_n = _sh.squeeze(c_n, 1) if c_n is not None else None
        elif self.batch_first:
            out = _sh.swapaxes(out, 0, 1)
        return out, (h_n if c_n is None else (h_n, c_n))

    def _state_shape(self, batch):
        directions = 2 if self.bidirectional else 1
        return (self.num_layers * directions, batch, self.hidden_size)

    def _split_state(self, hx, batch, dtype, unbatched):
        shape = self._state_shape(batch)
        if hx is None:
            return _zeros(*shape, dtype=dtype), None
        if isinstance(hx, (tuple, list)):
            raise _OpTypeError(f"{type(self).__name__}: hx must be a single tensor of shape "
                               f"{shape}, got a {type(hx).__name__} (only LSTM takes (h_0, c_0))")
        return self._check_state("hx", hx, shape, unbatched), None

    def _check_state(self, name, h, shape, unbatched):
        want, kind = (2, "unbatched 2-D") if unbatched else (3, "batched 3-D")
        if h.ndim != want:
            raise _OpError(f"{type(self).__name__}: for {kind} input, {name} should also be "
                           f"{want}-D but got a {h.ndim}-D tensor of shape {_shape(h)}")
        if unbatched:
            h = _sh.unsqueeze(h, 1)
        if _shape(h) != shape:
            want_shape, got = shape, _shape(h)
            if unbatched:
                want_shape, got = (shape[0], shape[2]), (got[0], got[2])
            raise _OpError(f"{type(self).__name__}: expected {name} of shape {want_shape} "
                           f"(num_layers * directions, [batch,] hidden_size), got {got}")
        return h

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(_RNNBase):
    """Elman RNN: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (or relu), over a sequence;
    returns ``output, h_n``. Arguments in PyTorch's order (``nonlinearity`` fourth).

    Example: ``out, h = RNN(10, 20, 2)(cr.randn(5, 3, 10))`` gives out (5, 3, 20), h (2, 3, 20).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise _OpError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)
        self.nonlinearity = nonlinearity

    def _step(self, x_proj, h, c, w_hh, b_hh):
        return (_tanh_step if self.nonlinearity == "tanh" else _relu_step)(x_proj, h, c, w_hh,
                                                                           b_hh)


class LSTM(_RNNBase):
    """LSTM with PyTorch's gate order (input, forget, cell, output); returns
    ``output, (h_n, c_n)``; ``hx`` is ``(h_0, c_0)``. ``proj_size`` must be 0."""

    gates = 4

    def _split_state(self, hx, batch, dtype, unbatched):
        shape = self._state_shape(batch)
        if hx is None:
            return _zeros(*shape, dtype=dtype), _zeros(*shape, dtype=dtype)
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise _OpTypeError(f"LSTM: hx must be a tuple (h_0, c_0) of two tensors of shape "
                               f"{shape}, got {type(hx).__name__}")
        h0, c0 = hx
        return (self._check_state("h_0", h0, shape, unbatched),
                self._check_state("c_0", c0, shape, unbatched))

    def _step(self, x_proj, h, c, w_hh, b_hh):
        return _lstm_step(x_proj, h, c, w_hh, b_hh)


class GRU(_RNNBase):
    """GRU with PyTorch's gate order (reset, update, new); returns ``output, h_n``."""

    gates = 3
    _fold_bias = False

    def _step(self, x_proj, h, c, w_hh, b_hh):
        return _gru_step(x_proj, h, c, w_hh, b_hh)


# ----- single-step cells -----------------------------------------------------------------
class _CellBase(_Module):
    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__()
        name = type(self).__name__
        _check_sizes(name, input_size, hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        bound = 1.0 / _math.sqrt(hidden_size)
        shapes = [("weight_ih", (self.gates * hidden_size, input_size)),
                  ("weight_hh", (self.gates * hidden_size, hidden_size)),
                  ("bias_ih", (self.gates * hidden_size,)),
                  ("bias_hh", (self.gates * hidden_size,))]
        for pname, shape in shapes:
            if pname.startswith("bias") and not bias:
                self.register_parameter(pname, None)
                continue
            setattr(self, pname, _init.uniform_(_empty(shape, dtype, name), -bound, bound))

    def _input(self, x):
        """``x`` as a batch (unbatched 1-D input gets a batch of 1) and whether it was 1-D."""
        name = type(self).__name__
        if x.ndim not in (1, 2):
            raise _OpError(f"{name}: Expected input to be 1D or 2D, got {x.ndim}D input of "
                           f"shape {_shape(x)} instead")
        if x.shape[-1] != self.input_size:
            raise _OpError(f"{name}: input has inconsistent input_size: got {x.shape[-1]} "
                           f"expected {self.input_size} (input shape {_shape(x)})")
        unbatched = x.ndim == 1
        return (_sh.unsqueeze(x, 0) if unbatched else x), unbatched

    def _state(self, which, h, x, unbatched):
        name = type(self).__name__
        if h is None:
            return _zeros(x.shape[0], self.hidden_size, dtype=x.dtype)
        want = 1 if unbatched else 2
        if h.ndim != want:
            raise _OpError(f"{name}: {which} should be {want}-D for {want}-D input, got a "
                           f"{h.ndim}-D tensor of shape {_shape(h)}")
        if unbatched:
            h = _sh.unsqueeze(h, 0)
        if _shape(h) != (x.shape[0], self.hidden_size):
            raise _OpError(f"{name}: {which} has shape {_shape(h)}, expected "
                           f"{(x.shape[0], self.hidden_size)} (batch, hidden_size)")
        return h

    def _project(self, x):
        return _F.linear(x, self.weight_ih, self.bias_ih)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(_CellBase):
    """One Elman RNN step: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (or relu).

    Example: ``h = RNNCell(10, 20)(x, h)`` for x (batch, 10), h (batch, 20); h defaults to
    zeros; a 1-D x (and h) is one unbatched sample.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise _OpError(f"RNNCell: Unknown nonlinearity: {nonlinearity!r} (use 'tanh' or "
                           f"'relu')")
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, unbatched = self._input(input)
        h = self._state("hx", hx, x, unbatched)
        step = _tanh_step if self.nonlinearity == "tanh" else _relu_step
        h, _ = step(self._project(x), h, None, self.weight_hh, self.bias_hh)
        return _sh.squeeze(h, 0) if unbatched else h


class LSTMCell(_CellBase):
    """One LSTM step with PyTorch's gate order (input, forget, cell, output):
    ``h', c' = LSTMCell(10, 20)(x, (h, c))``; ``hx`` defaults to zeros."""

    gates = 4

    def forward(self, input, hx=None):
        x, unbatched = self._input(input)
        if hx is None:
            h = c = self._state("hx", None, x, unbatched)
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise _OpTypeError(f"LSTMCell: hx must be a tuple (h, c) of two tensors, got "
                                   f"{type(hx).__name__}")
            h = self._state("hx[0]", hx[0], x, unbatched)
            c = self._state("hx[1]", hx[1], x, unbatched)
        h, c = _lstm_step(self._project(x), h, c, self.weight_hh, self.bias_hh)
        if unbatched:
            return _sh.squeeze(h, 0), _sh.squeeze(c, 0)
        return h, c


class GRUCell(_CellBase):
    """One GRU step with PyTorch's gate order (reset, update, new):
    ``h' = GRUCell(10, 20)(x, h)``; ``h`` defaults to zeros."""

    gates = 3

    def forward(self, input, hx=None):
        x, unbatched = self._input(input)
        h = self._state("hx", hx, x, unbatched)
        h, _ = _gru_step(self._project(x), h, None, self.weight_hh, self.bias_hh)
        return _sh.squeeze(h, 0) if unbatched else h


# ----- attention -------------------------------------------------------------------------
def _mask(name: str, mask, xp):
    """``(array, is_bool)`` of a mask; PyTorch takes bool and floating masks only."""
    arr = xp.asarray(_as_array(mask))
    if arr.dtype == bool:
        return arr, True
    if arr.dtype.kind != "f":
        raise _OpTypeError(f"MultiheadAttention: only bool and floating types of {name} are "
                           f"supported, got {arr.dtype}")
    return arr, False


def _pad_keys(xp, mask, extra: int):
    """``mask`` with ``extra`` unmasked key columns (zeros / False) appended."""
    return xp.concatenate([mask, xp.zeros(mask.shape[:-1] + (extra,), mask.dtype)], axis=-1)


class MultiheadAttention(_Module):
    """Multi-head attention as ``torch.nn.MultiheadAttention``: parameters
    ``in_proj_weight``/``in_proj_bias`` (or ``q/k/v_proj_weight`` when ``kdim``/``vdim``
    differ from ``embed_dim``), ``out_proj``, optional ``bias_k``/``bias_v``.

    ``forward(query, key, value, key_padding_mask, need_weights, attn_mask,
    average_attn_weights, is_causal)`` returns ``(output, weights)``: weights averaged over
    heads (or per head), None when ``need_weights`` is False. Masks are bool (True = not
    attended) or float (added to the scores); ``attn_mask`` is (L, S) or (N * num_heads, L, S),
    ``key_padding_mask`` (N, S). Inputs are (L, N, E), (N, L, E) with ``batch_first``, or
    unbatched (L, E). Unlike PyTorch, ``is_causal=True`` without ``attn_mask`` applies the
    causal mask rather than raising.

    Example: ``out, w = MultiheadAttention(8, 2)(q, k, v)`` for q (3, 4, 8), k, v (5, 4, 8).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise _OpError(f"MultiheadAttention: embed_dim and num_heads must be positive, got "
                           f"embed_dim={embed_dim} and num_heads={num_heads}")
        if embed_dim % num_heads:
            raise _OpError(f"MultiheadAttention: embed_dim must be divisible by num_heads, got "
                           f"embed_dim {embed_dim} and num_heads {num_heads}")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.dropout = _F.check_dropout_p("MultiheadAttention", dropout)
        self.batch_first, self.head_dim = batch_first, embed_dim // num_heads
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.add_zero_attn = add_zero_attn
        new = lambda *shape: _empty(shape, dtype, "MultiheadAttention")
        if self._qkv_same_embed_dim:
            self.in_proj_weight = _init.xavier_uniform_(new(3 * embed_dim, embed_dim))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight = _init.xavier_uniform_(new(embed_dim, embed_dim))
            self.k_proj_weight = _init.xavier_uniform_(new(embed_dim, self.kdim))
            self.v_proj_weight = _init.xavier_uniform_(new(embed_dim, self.vdim))
        if bias:
            self.in_proj_bias = _init.zeros_(new(3 * embed_dim))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = _Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if bias:
            _init.zeros_(self.out_proj.bias)
        if add_bias_kv:
            self.bias_k = _init.xavier_normal_(new(1, 1, embed_dim))
            self.bias_v = _init.xavier_normal_(new(1, 1, embed_dim))
        else:
            self.bias_k = self.bias_v = None

    def _projections(self):
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            w_q, w_k, w_v = _sh.chunk(self.in_proj_weight, 3, dim=0)
        else:
            w_q, w_k, w_v = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        b = self.in_proj_bias
        if b is None:
            return (w_q, None), (w_k, None), (w_v, None)
        return (w_q, b[:e]), (w_k, b[e:2 * e]), (w_v, b[2 * e:])

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True, is_causal: bool = False):
        op = "MultiheadAttention"
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise _OpError(f"{op}: query, key and value must all be 3-D (batched) or 2-D "
                           f"(unbatched), got shapes {_shape(query)}, {_shape(key)} and "
                           f"{_shape(value)}")
        xp = _backend.array_module(query._data)
        unbatched = query.ndim == 2
        if unbatched:
            query, key, value = (_sh.unsqueeze(t, 1) for t in (query, key, value))
        elif self.batch_first:
            query, key, value = (_sh.swapaxes(t, 0, 1) for t in (query, key, value))
        lq, n, e = query.shape
        lk = key.shape[0]
        if e != self.embed_dim:
            raise _OpError(f"{op}: was expecting embedding dimension of {self.embed_dim}, but "
                           f"got a query of shape {_shape(query)}")
        if key.shape[:2] != value.shape[:2]:
            raise _OpError(f"{op}: key shape {_shape(key)} does not match value shape "
                           f"{_shape(value)} (sequence and batch dims)")
        if key.shape[-1] != self.kdim or value.shape[-1] != self.vdim:
            raise _OpError(f"{op}: expected key and value feature sizes kdim={self.kdim} and "
                           f"vdim={self.vdim}, got shapes {_shape(key)} and {_shape(value)}")
        h, hd = self.num_heads, self.head_dim
        # Masks, gathered as one bool array (True = not attended) and float terms to add,
        # each broadcastable to the scores' (n, heads, lq, lk).
        masked = None
        added = []
        if is_causal:
            masked = ~xp.tril(xp.ones((lq, lk), dtype=bool))
        if attn_mask is not None:
            m, is_bool = _mask("attn_mask", attn_mask, xp)
            if m.ndim == 2:
                if m.shape != (lq, lk):
                    raise _OpError(f"{op}: the shape of the 2D attn_mask is {m.shape}, but "
                                   f"should be {(lq, lk)}")
            elif m.ndim == 3:
                if m.shape != (n * h, lq, lk):
                    raise _OpError(f"{op}: the shape of the 3D attn_mask is {m.shape}, but "
                                   f"should be {(n * h, lq, lk)} (batch * num_heads, L, S)")
                m = m.reshape(n, h, lq, lk)
            else:
                raise _OpError(f"{op}: attn_mask's dimension {m.ndim} is not supported "
                               f"(use 2-D (L, S) or 3-D (N * num_heads, L, S))")
            if is_bool:
                masked = m if masked is None else masked | m
            elif isinstance(attn_mask, _Tensor):  # may carry a gradient (learned biases)
                added.append(attn_mask if m.ndim == 2 else
                             _sh.reshape(attn_mask, (n, h, lq, lk)))
            else:
                added.append(m.astype(query.dtype, copy=False))
        if key_padding_mask is not None:
            m, is_bool = _mask("key_padding_mask", key_padding_mask, xp)
            if unbatched and m.ndim == 1:
                m = m[None]
            if m.shape != (n, lk):
                raise _OpError(f"{op}: expecting key_padding_mask shape of {(n, lk)} (batch, "
                               f"source length), but got {m.shape}")
            m = m[:, None, None, :]
            if is_bool:
                masked = m if masked is None else masked | m
            else:
                added.append(m.astype(query.dtype, copy=False))
        (w_q, b_q), (w_k, b_k), (w_v, b_v) = self._projections()
        q, k, v = _F.linear(query, w_q, b_q), _F.linear(key, w_k, b_k), _F.linear(value, w_v,
                                                                                  b_v)
        extra = 0  # key columns appended by add_bias_kv / add_zero_attn, never masked
        if self.bias_k is not None:
            k = _sh.concatenate([k, _sh.broadcast_to(self.bias_k, (1, n, e))], axis=0)
            v = _sh.concatenate([v, _sh.broadcast_to(self.bias_v, (1, n, e))], axis=0)
            extra += 1
        heads = lambda t: _sh.permute(_sh.reshape(t, (t.shape[0], n, h, hd)), 1, 2, 0, 3)
        q, k, v = heads(q), heads(k), heads(v)  # (n, heads, length, head_dim)
        if self.add_zero_attn:
            z = _zeros(n, h, 1, hd, dtype=k.dtype)
            k, v = _sh.concatenate([k, z], axis=2), _sh.concatenate([v, z], axis=2)
            extra += 1
        scores = (q * (1.0 / _math.sqrt(hd))) @ _sh.swapaxes(k, -1, -2)
        for term in added:
            if extra and isinstance(term, _Tensor):
                term = _F.pad(term, (0, extra))
            elif extra:
                term = _pad_keys(xp, term, extra)
            scores = scores + term
        if masked is not None and masked.any():
            if extra:
                masked = _pad_keys(xp, masked, extra)
            scores = _masked_fill(scores, xp.broadcast_to(masked, scores.shape), -_np.inf)
        weights = _F.softmax(scores, dim=-1)
        if self.dropout and self.training:
            weights = _F.dropout(weights, self.dropout, True)
        out = weights @ v  # n, heads, lq, head_dim
        out = self.out_proj(_sh.reshape(_sh.permute(out, 2, 0, 1, 3), (lq, n, e)))
        if unbatched:
            out = _sh.squeeze(out, 1)
        elif self.batch_first:
            out = _sh.swapaxes(out, 0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(dim=1)
        return out, (_sh.squeeze(weights, 0) if unbatched else weights)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
