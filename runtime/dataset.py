"""Datasets with ``mindspore.dataset``'s API: sources, pipeline operations and iterators.

The implementation is split by concern, each module importing only the ones before it:
``dataset_base`` (``config``, argument checks, ``DatasetBase`` and the iterators), ``dataset_ops``
(``Dataset`` with its pipeline operations, and the nodes they build), ``dataset_sources``
(NumpySlices, Generator, MNIST), ``dataset_cifar`` (CIFAR-10) and ``dataset_mindrecord`` (MindRecord). This module
gathers the public names (``minispore.dataset`` re-exports them).
"""

from .dataset_base import DictIterator, TupleIterator, config
from .dataset_cifar import Cifar10Dataset
from .dataset_mindrecord import MindDataset
from .dataset_ops import (
    BatchDataset,
    Dataset,
    MapDataset,
    ProjectDataset,
    RenameDataset,
    RepeatDataset,
    ShuffleDataset,
    SkipDataset,
    TakeDataset,
)
from .dataset_sources import GeneratorDataset, MnistDataset, NumpySlicesDataset

__all__ = ["Dataset", "GeneratorDataset", "NumpySlicesDataset", "MnistDataset", "Cifar10Dataset", "MindDataset",
           "BatchDataset", "ShuffleDataset", "MapDataset", "RepeatDataset", "TakeDataset", "SkipDataset",
           "ProjectDataset", "RenameDataset", "TupleIterator", "DictIterator", "config"]
