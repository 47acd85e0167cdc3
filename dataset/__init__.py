"""``minispore.dataset`` (MindSpore's ``mindspore.dataset``): in-memory, generator, MNIST and CIFAR-10 datasets,
with the image and general transforms of ``dataset.vision`` and ``dataset.transforms``."""

from ..runtime.dataset import *  # noqa: F401,F403
from . import transforms, vision  # noqa: F401
