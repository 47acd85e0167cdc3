"""``minispore.train`` (MindSpore's ``mindspore.train``): Model, callbacks, metrics and the loss-scale
managers.

The submodule paths MindSpore scripts import are aliases of the modules that define the names (one object under
both names): ``minispore.train.callback``, ``.metrics``, ``.model``, ``.serialization`` (the checkpoint functions)
and ``.loss_scale_manager``. MindSpore 2.x still exports the metrics from ``nn`` too (``from mindspore.nn import
Accuracy``, ``mindspore.nn.metrics``): nn sits below the metrics, so this facade registers those names there.
"""
# ruff: noqa: E402

from . import nn as _nn
from .graph.aliases import alias_module as _alias_module
from .runtime import callback_api as callback  # noqa: F401
from .runtime import checkpoint as serialization
from .runtime import metrics
from .runtime import model as _model_module
from .runtime.amp import loss_scale_manager
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

model = _model_module  # ``minispore.train.model`` (the module; ``Model`` is the class)
for _name, _module in (("callback", callback), ("metrics", metrics), ("model", _model_module),
                       ("serialization", serialization), ("loss_scale_manager", loss_scale_manager)):
    _alias_module(f"{__name__}.{_name}", _module)
_alias_module(f"{_nn.__name__}.metrics", metrics)
_nn.metrics = metrics
for _name in _metric_names:
    setattr(_nn, _name, getattr(metrics, _name))
del _name, _module

__all__ = ["Model", "DynamicLossScaleManager", "FixedLossScaleManager", "LossScaleManager", *_callback_names,
           *_metric_names]
