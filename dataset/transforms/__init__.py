"""``minispore.dataset.transforms`` (MindSpore's ``mindspore.dataset.transforms``): general transforms.
``transforms.c_transforms`` (MindSpore 1.x's path) names the same classes."""

from . import c_transforms  # noqa: F401
from .transforms import Compose, Duplicate, OneHot, RandomApply, RandomChoice, TypeCast

__all__ = ["Compose", "Duplicate", "OneHot", "RandomApply", "RandomChoice", "TypeCast"]
