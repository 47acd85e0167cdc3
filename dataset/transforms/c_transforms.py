"""``mindspore.dataset.transforms.c_transforms`` (MindSpore 1.x's module): the same classes as
``dataset.transforms``."""

from .transforms import Compose, Duplicate, OneHot, RandomApply, RandomChoice, TypeCast  # noqa: F401
