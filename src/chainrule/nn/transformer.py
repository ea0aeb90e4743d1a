"""``nn.Transformer`` and its parts (encoder/decoder layers and stacks), as in
``torch.nn``: same arguments, same submodule and parameter names (``self_attn``,
``multihead_attn``, ``linear1``, ``linear2``, ``norm1``..``norm3``, ``layers.N``), so a torch
model's ``state_dict`` loads into these and gives torch's outputs."""
from __future__ import annotations as _annotations

import copy as _copy
from typing import Callable as _Callable

import numpy as _np

from .. import _backend
from ..creation import tensor as _tensor
from ..errors import OpError as _OpError
from . import functional as _F
from . import init as _init
from .layers import Dropout as _Dropout
from .layers import LayerNorm as _LayerNorm
from .layers import Linear as _Linear
from .module import Module as _Module
from .module import ModuleList as _ModuleList
from .recurrent import MultiheadAttention as _MultiheadAttention

__all__ = ["Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
           "TransformerDecoderLayer"]


def __dir__():
    return __all__


def _activation(activation) -> _Callable:
    if isinstance(activation, str):
        if activation == "relu":
            return _F.relu
        if activation == "gelu":
            return _F.gelu
        raise _OpError(f"Transformer: activation should be relu/gelu, not {activation!r} (or "
                       f"pass a callable)")
    if not callable(activation):
        raise _OpError(f"Transformer: activation must be 'relu', 'gelu' or a callable, got "
                       f"{activation!r}")
    return activation


def _generate_square_subsequent_mask(sz: int, device=None, dtype=None):
    dtype = _np.dtype(dtype) if dtype is not None else _backend.get_default_dtype()
    mask = _np.triu(_np.full((sz, sz), -_np.inf, dtype=dtype), 1)
    return _tensor(mask, device=device)


class _TransformerLayer(_Module):
    """What the encoder and decoder layers share: PyTorch's constructor (the decoder adds
    ``multihead_attn``, ``norm3`` and ``dropout3``, registered in PyTorch's order), the
    self-attention block and the feed-forward block."""

    _cross = False  # the decoder's attention over ``memory``

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        self.self_attn = _MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                             batch_first=batch_first, dtype=dtype)
        if self._cross:
            self.multihead_attn = _MultiheadAttention(d_model, nhead, dropout=dropout,
                                                      bias=bias, batch_first=batch_first,
                                                      dtype=dtype)
        self.linear1 = _Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = _Dropout(dropout)
        self.linear2 = _Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        blocks = 3 if self._cross else 2
        for i in range(1, blocks + 1):
            setattr(self, f"norm{i}", _LayerNorm(d_model, eps=layer_norm_eps, bias=bias,
                                                 dtype=dtype))
        for i in range(1, blocks + 1):
            setattr(self, f"dropout{i}", _Dropout(dropout))
        self.activation = _activation(activation)

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=bool(is_causal))[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        last = self.dropout3 if self._cross else self.dropout2
        return last(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention then a feed-forward block, each with a residual and LayerNorm
    (after the residual, or before the block with ``norm_first``), as PyTorch's.

    Example: ``TransformerEncoderLayer(512, 8)(src)`` for src (S, N, 512), or (N, S, 512)
    with ``batch_first=True``.
    """

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention, attention over ``memory``, then a feed-forward block, each with a
    residual and LayerNorm, as PyTorch's.

    Example: ``TransformerDecoderLayer(512, 8)(tgt, memory)``.
    """

    _cross = True

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                               memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=bool(is_causal),
                                need_weights=False)[0]
        return self.dropout2(x)


def _clones(module: _Module, n: int, op: str) -> _ModuleList:
    if type(n) is not int or n < 0:
        raise _OpError(f"{op}: num_layers must be a non-negative integer, got {n!r}")
    return _ModuleList([_copy.deepcopy(module) for _ in range(n)])


class TransformerEncoder(_Module):
    """``num_layers`` deep copies of ``encoder_layer`` (as ``layers.0``, ``layers.1``...), then
    ``norm`` if given. ``enable_nested_tensor`` and ``mask_check`` are accepted for PyTorch's
    signature; they select a PyTorch inference fast path and change no result here (PyTorch's
    fast path zeroes the outputs at padded positions; this computes them, as its training path
    does).

    Example: ``TransformerEncoder(TransformerEncoderLayer(512, 8), 6)(src, mask=m)``.
    """

    def __init__(self, encoder_layer: _Module, num_layers: int, norm: _Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers, "TransformerEncoder")
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = False
        self.mask_check = mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal: bool | None = None):
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=bool(is_causal),
                         src_key_padding_mask=src_key_padding_mask)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(_Module):
    """``num_layers`` deep copies of ``decoder_layer``, then ``norm`` if given.

    Example: ``TransformerDecoder(TransformerDecoderLayer(512, 8), 6)(tgt, memory)``.
    """

    def __init__(self, decoder_layer: _Module, num_layers: int, norm: _Module | None = None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers, "TransformerDecoder")
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False):
        output = tgt
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                         tgt_key_padding_mask=tgt_key_padding_mask,
                         memory_key_padding_mask=memory_key_padding_mask,
                         tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(_Module):
    """The encoder-decoder Transformer of "Attention Is All You Need", as PyTorch's:
    ``encoder`` (a TransformerEncoder with a final LayerNorm) and ``decoder``; every
    parameter with more than one dim is Xavier-uniform initialized.

    Example::

        model = Transformer(d_model=32, nhead=4, num_encoder_layers=2, num_decoder_layers=2)
        mask = Transformer.generate_square_subsequent_mask(7)
        out = model(src, tgt, tgt_mask=mask)     # src (S, N, 32), tgt (7, N, 32)
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", custom_encoder=None,
                 custom_decoder=None, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None):
        super().__init__()
        kw = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                  layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                  norm_first=norm_first, bias=bias, dtype=dtype)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(d_model, nhead, **kw), num_encoder_layers,
                _LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(d_model, nhead, **kw), num_decoder_layers,
                _LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        for p in self.parameters():
            if p.ndim > 1:
                _init.xavier_uniform_(p)
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal: bool | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False):
        if src.ndim == 3:
            b = 0 if self.batch_first else 1
            if src.shape[b] != tgt.shape[b]:
                raise _OpError(f"Transformer: the batch number of src and tgt must be equal, "
                               f"got src {tuple(src.shape)} and tgt {tuple(tgt.shape)} "
                               f"(batch_first={self.batch_first})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise _OpError(f"Transformer: the feature number of src and tgt must be equal to "
                           f"d_model = {self.d_model}, got src {tuple(src.shape)} and tgt "
                           f"{tuple(tgt.shape)}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None):
        """A float (sz, sz) causal mask: -inf above the diagonal, 0 elsewhere."""
        return _generate_square_subsequent_mask(sz, device=device, dtype=dtype)
