"""RNN, LSTM, GRU and MultiheadAttention, with PyTorch's parameter names, gate order and
initialization (so state dicts load across)."""
from __future__ import annotations as _annotations

import math as _math

import numpy as _np

from ..creation import zeros as _zeros
from ..errors import OpError as _OpError
from ..ops import shape as _sh
from ..ops.index import masked_fill as _masked_fill
from . import functional as _F
from . import init as _init
from .layers import _empty
from .layers import Linear as _Linear
from .module import Module as _Module

__all__ = ["RNN", "LSTM", "GRU", "MultiheadAttention"]


class _RNNBase(_Module):
    gates = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        for arg, value in (("input_size", input_size), ("hidden_size", hidden_size),
                           ("num_layers", num_layers)):
            if type(value) is not int or value <= 0:
                raise _OpError(f"{name}: {arg} must be a positive integer, got {value!r}")
        if not 0.0 <= dropout <= 1.0:
            raise _OpError(f"{name}: dropout must be a probability in [0, 1], got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, dropout
        self.bidirectional = bidirectional
        directions = 2 if bidirectional else 1
        bound = 1.0 / _math.sqrt(hidden_size)
        for layer in range(num_layers):
            for d in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                in_size = input_size if layer == 0 else hidden_size * directions
                names = [("weight_ih", (self.gates * hidden_size, in_size)),
                         ("weight_hh", (self.gates * hidden_size, hidden_size))]
                if bias:
                    names += [("bias_ih", (self.gates * hidden_size,)),
                              ("bias_hh", (self.gates * hidden_size,))]
                for name, shape in names:
                    p = _empty(shape, dtype)
                    _init.uniform_(p, -bound, bound)
                    setattr(self, name + suffix, p)

    def forward(self, x, hx=None):
        name = type(self).__name__
        if x.ndim not in (2, 3):
            raise _OpError(f"{name}: expected a 2-D (unbatched) or 3-D input, got shape "
                           f"{tuple(x.shape)}")
        if x.shape[-1] != self.input_size:
            raise _OpError(f"{name}: the input's last dim must be input_size = "
                           f"{self.input_size}, got an input of shape {tuple(x.shape)}")
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
                # The input projection of every time step in one matmul.
                proj = _F.linear(layer_input, w_ih, b_ih)
                h, c = h0[k], (c0[k] if c0 is not None else None)
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

    def _split_state(self, hx, batch, dtype, unbatched):
        directions = 2 if self.bidirectional else 1
        shape = (self.num_layers * directions, batch, self.hidden_size)
        if hx is None:
            return _zeros(*shape, dtype=dtype), None
        if unbatched:
            hx = _sh.unsqueeze(hx, 1)
        return self._check_state("hx", hx, shape), None

    def _check_state(self, name, h, shape):
        if tuple(h.shape) != shape:
            raise _OpError(f"{type(self).__name__}: expected {name} of shape {shape} "
                           f"(num_layers * directions, batch, hidden_size), got {tuple(h.shape)}")
        return h

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"


class RNN(_RNNBase):
    """Elman RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu)."""

    def __init__(self, *args, nonlinearity: str = "tanh", **kwargs):
        super().__init__(*args, **kwargs)
        if nonlinearity not in ("tanh", "relu"):
            raise _OpError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity

    def _step(self, x_proj, h, c, w_hh, b_hh):
        pre = x_proj + _F.linear(h, w_hh, b_hh)
        return (pre.tanh() if self.nonlinearity == "tanh" else pre.relu()), None


class LSTM(_RNNBase):
    """LSTM with PyTorch's gate order (input, forget, cell, output); returns
    ``output, (h_n, c_n)``."""

    gates = 4

    def _split_state(self, hx, batch, dtype, unbatched):
        directions = 2 if self.bidirectional else 1
        shape = (self.num_layers * directions, batch, self.hidden_size)
        if hx is None:
            return _zeros(*shape, dtype=dtype), _zeros(*shape, dtype=dtype)
        h0, c0 = hx
        if unbatched:
            h0, c0 = _sh.unsqueeze(h0, 1), _sh.unsqueeze(c0, 1)
        return self._check_state("h_0", h0, shape), self._check_state("c_0", c0, shape)

    def _step(self, x_proj, h, c, w_hh, b_hh):
        gates = x_proj + _F.linear(h, w_hh, b_hh)
        i, f, g, o = _sh.chunk(gates, 4, dim=-1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        return o.sigmoid() * c.tanh(), c


class GRU(_RNNBase):
    """GRU with PyTorch's gate order (reset, update, new)."""

    gates = 3

    def _step(self, x_proj, h, c, w_hh, b_hh):
        hh = _F.linear(h, w_hh, b_hh)
        xr, xz, xn = _sh.chunk(x_proj, 3, dim=-1)
        hr, hz, hn = _sh.chunk(hh, 3, dim=-1)
        r = (xr + hr).sigmoid()
        z = (xz + hz).sigmoid()
        n = (xn + r * hn).tanh()
        return (1.0 - z) * n + z * h, None


class MultiheadAttention(_Module):
    """Multi-head attention over ``scaled_dot_product_attention``, with PyTorch's
    ``in_proj_weight``/``out_proj`` parameters; returns ``(output, weights averaged over
    heads)`` (weights None when ``need_weights`` is False)."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 batch_first: bool = False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise _OpError(f"MultiheadAttention: embed_dim and num_heads must be positive, got "
                           f"embed_dim={embed_dim} and num_heads={num_heads}")
        if embed_dim % num_heads:
            raise _OpError(f"MultiheadAttention: embed_dim {embed_dim} is not divisible by "
                           f"num_heads {num_heads}")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.batch_first, self.head_dim = batch_first, embed_dim // num_heads
        self.in_proj_weight = _init.xavier_uniform_(_empty((3 * embed_dim, embed_dim), dtype))
        if bias:
            self.in_proj_bias = _init.zeros_(_empty((3 * embed_dim,), dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = _Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if bias:
            _init.zeros_(self.out_proj.bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True, is_causal: bool = False):
        if self.batch_first:
            query, key, value = (_sh.swapaxes(t, 0, 1) for t in (query, key, value))
        lq, n, e = query.shape
        lk = key.shape[0]
        w_q, w_k, w_v = _sh.chunk(self.in_proj_weight, 3, dim=0)
        b_q = b_k = b_v = None
        if self.in_proj_bias is not None:
            b_q, b_k, b_v = _sh.chunk(self.in_proj_bias, 3, dim=0)
        heads = lambda t, length: _sh.permute(_sh.reshape(t, (length, n, self.num_heads,
                                                              self.head_dim)), 1, 2, 0, 3)
        q = heads(_F.linear(query, w_q, b_q), lq)
        k = heads(_F.linear(key, w_k, b_k), lk)
        v = heads(_F.linear(value, w_v, b_v), lk)
        scores = (q @ _sh.swapaxes(k, -1, -2)) * (1.0 / _math.sqrt(self.head_dim))
        masked = _np.zeros((n, 1, lq, lk), dtype=bool)
        if is_causal:
            masked |= ~_np.tril(_np.ones((lq, lk), dtype=bool))
        if attn_mask is not None:
            m = _np.asarray(getattr(attn_mask, "_data", attn_mask))
            if m.dtype == bool:
                masked = masked | (m if m.ndim == 2 else m.reshape(n, self.num_heads, lq, lk))
            else:
                scores = scores + (attn_mask if m.ndim == 2 else
                                   _sh.reshape(attn_mask, (n, self.num_heads, lq, lk)))
        if key_padding_mask is not None:
            kp = _np.asarray(getattr(key_padding_mask, "_data", key_padding_mask)).astype(bool)
            masked = masked | kp[:, None, None, :]
        if masked.any():
            scores = _masked_fill(scores, _np.broadcast_to(masked, scores.shape), -_np.inf)
        weights = _F.softmax(scores, dim=-1)
        if self.dropout and self.training:
            weights = _F.dropout(weights, self.dropout, True)
        out = weights @ v  # n, heads, lq, head_dim
        out = _sh.reshape(_sh.permute(out, 2, 0, 1, 3), (lq, n, e))
        out = self.out_proj(out)
        if self.batch_first:
            out = _sh.swapaxes(out, 0, 1)
        if not need_weights:
            return out, None
        return out, (weights.mean(dim=1) if average_attn_weights else weights)
