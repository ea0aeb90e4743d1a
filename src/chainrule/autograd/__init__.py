"""The core, which knows no particular op: tensors, grad mode, primitives, the engine."""
from . import forward_ad
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .function import Function, FunctionCtx, primitive
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .primitives import Primitive, defjvp, defvjp, defvjp_all
from .tensor import Tensor

__all__ = ["forward_ad", "detect_anomaly", "is_anomaly_enabled", "set_detect_anomaly",
           "Function", "FunctionCtx", "primitive", "backward", "grad", "enable_grad",
           "is_grad_enabled", "no_grad", "set_grad_enabled", "GradcheckError", "gradcheck",
           "gradgradcheck", "Primitive", "defjvp", "defvjp", "defvjp_all", "Tensor"]
