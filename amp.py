"""``minispore.amp`` (MindSpore's ``mindspore.amp``): loss scaling and mixed precision."""
# ruff: noqa: F401

from .nn.loss_scale import all_finite
from .runtime.amp.build import build_train_network
from .runtime.amp.loss_scale_manager import (
    DynamicLossScaleManager,
    DynamicLossScaler,
    FixedLossScaleManager,
    LossScaleManager,
    LossScaler,
    StaticLossScaler,
)
from .runtime.amp.mixed_precision import (
    auto_mixed_precision,
    custom_mixed_precision,
    get_black_list,
    get_white_list,
)
