"""``mindspore.dataset.vision.c_transforms`` (MindSpore 1.x's module, still accepted by 2.x): the same classes as
``dataset.vision``."""

from .transforms import (  # noqa: F401
    HWC2CHW,
    CenterCrop,
    HorizontalFlip,
    Normalize,
    Pad,
    RandomCrop,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomVerticalFlip,
    Rescale,
    Resize,
    VerticalFlip,
)
from .utils import Border, Inter  # noqa: F401
