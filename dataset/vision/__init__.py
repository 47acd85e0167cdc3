"""``minispore.dataset.vision`` (MindSpore's ``mindspore.dataset.vision``): image transforms on numpy images and
the ``Inter`` and ``Border`` enums. ``vision.c_transforms`` (MindSpore 1.x's path) names the same classes."""

from . import c_transforms  # noqa: F401
from .transforms import (
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
    ToTensor,
    VerticalFlip,
)
from .utils import Border, Inter

__all__ = ["CenterCrop", "HorizontalFlip", "HWC2CHW", "Normalize", "Pad", "RandomCrop", "RandomHorizontalFlip",
           "RandomResizedCrop", "RandomVerticalFlip", "Rescale", "Resize", "ToTensor", "VerticalFlip", "Border",
           "Inter"]
