"""Mixed precision and loss scaling (``minispore.amp`` re-exports what is public here)."""

from .build import build_train_network  # noqa: F401
from .loss_scale_manager import (  # noqa: F401
    DynamicLossScaleManager,
    DynamicLossScaler,
    FixedLossScaleManager,
    LossScaleManager,
    LossScaler,
    StaticLossScaler,
)
from .mixed_precision import auto_mixed_precision, custom_mixed_precision, get_black_list, get_white_list  # noqa: F401
