"""The errors the backward engine raises, as messages for a person: each names the node or
hook, says what happened, and what to do."""
from __future__ import annotations

from ..errors import OpError, OpTypeError

__all__ = ["version_error", "freed_error", "no_rule_error", "check_hook_result"]


def version_error(node, box, version) -> RuntimeError:
    op = f"; the last in-place op on it was {box[1]}" if box[1] else ""
    return RuntimeError(
        f"{node.name}: one of the tensors needed for gradient computation has been "
        f"modified by an in-place operation: it was saved at version {version} and is "
        f"now at version {box[0]}{op}. Use out-of-place ops, or .clone() the tensor "
        f"before modifying it.")


def freed_error(node) -> RuntimeError:
    return RuntimeError(f"{node.name}: trying to backward through the graph a second time (or "
                        f"after its saved values were freed). Pass retain_graph=True to the "
                        f"first backward() if you need to backward through the graph again.")


def no_rule_error(prim, i: int) -> Exception:
    if prim.vjps is None:
        return NotImplementedError(f"{prim.name}: no VJP rule is defined, so it cannot be "
                                   f"differentiated in reverse mode")
    return RuntimeError(f"{prim.name}: argument {i} is not differentiable, but it "
                        f"requires grad; detach() it first")


def check_hook_result(hook, out, g) -> None:
    """A hook may replace a gradient, but not change its shape or dtype (as in PyTorch)."""
    name = getattr(hook, "__qualname__", None) or type(hook).__name__
    shape, dtype = getattr(out, "shape", None), getattr(out, "dtype", None)
    if shape is None or dtype is None:
        raise OpTypeError(f"hook {name!r} returned {type(out).__name__}; a hook returns a "
                          f"Tensor of the gradient's shape and dtype, or None")
    if tuple(shape) != tuple(g.shape):
        raise OpError(f"hook {name!r} changed the shape of the gradient from "
                      f"{tuple(g.shape)} to {tuple(shape)}; return a gradient of the same shape")
    if dtype != g.dtype:
        raise OpTypeError(f"hook {name!r} changed the dtype of the gradient from {g.dtype} to "
                          f"{dtype}; cast it back with .to({g.dtype})")


def __dir__():  # dir() and tab completion show what the module exports, not its helpers
    return __all__
