"""Parameter: a tensor that a Module registers as learnable."""
from ..autograd.tensor import Tensor as _Tensor
from ..autograd.tensor import as_array as _as_array

__all__ = ["Parameter"]


class Parameter(_Tensor):
    """A leaf tensor that requires grad and is found by ``Module.parameters()``.

    >>> import chainrule as cr
    >>> Parameter(cr.zeros(2)).requires_grad
    True
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        arr = _as_array(data if data is not None else [], copy=False)
        if isinstance(data, _Tensor):
            arr = data._data
        super().__init__(arr, requires_grad=requires_grad)
        self._data = arr  # share memory with the tensor it was made from

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
