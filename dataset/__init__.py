"""``minispore.dataset`` (MindSpore's ``mindspore.dataset``): in-memory, generator, MNIST and CIFAR-10 datasets,
with the image and general transforms of ``dataset.vision`` and ``dataset.transforms``.

``minispore.dataset.engine`` (and ``.engine.datasets``), the paths MindSpore scripts import the dataset classes
from (``from mindspore.dataset.engine import GeneratorDataset``), are aliases of the module that defines them."""

from ..graph.aliases import alias_module as _alias_module
from ..runtime import dataset as engine
from ..runtime.dataset import *  # noqa: F401,F403
from . import transforms, vision  # noqa: F401

_alias_module(f"{__name__}.engine", engine)
_alias_module(f"{__name__}.engine.datasets", engine)
