"""``minispore.train`` (MindSpore's ``mindspore.train``): Model, callbacks, metrics and the loss-scale
managers."""

from .runtime import callback_api as callback  # noqa: F401
from .runtime import metrics  # noqa: F401
from .runtime.amp.loss_scale_manager import (  # noqa: F401
    DynamicLossScaleManager,
    FixedLossScaleManager,
    LossScaleManager,
)
from .runtime.callback_api import *  # noqa: F401,F403
from .runtime.callback_api import __all__ as _callback_names
from .runtime.metrics import *  # noqa: F401,F403
from .runtime.metrics import __all__ as _metric_names
from .runtime.model import Model  # noqa: F401

__all__ = ["Model", "DynamicLossScaleManager", "FixedLossScaleManager", "LossScaleManager", *_callback_names,
           *_metric_names]
