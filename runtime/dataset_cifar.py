"""``Cifar10Dataset``: CIFAR-10 from its binary files (``data_batch_1.bin`` ... ``data_batch_5.bin``,
``test_batch.bin``): records of 1 label byte and 3072 image bytes (32x32 red, then green, then blue), read as
MindSpore's CifarOp reads them: every ``.bin`` file of the folder in sorted name order whose name holds
``data_batch`` (usage 'train'), ``test_batch`` ('test') or ``batch`` ('all')."""

import os

import numpy as np

from .dataset_sources import _ArraySource, _SourceDataset, dataset_folder

_RECORD = 1 + 3 * 32 * 32


def _read_cifar10(dataset_dir, usage):
    dataset_dir = dataset_folder(dataset_dir, "Cifar10Dataset")
    key = {"train": "data_batch", "test": "test_batch", "all": "batch"}[usage]
    names = sorted(n for n in os.listdir(dataset_dir) if n.endswith(".bin") and key in n)
    images, labels = [], []
    for name in names:
        path = os.path.join(dataset_dir, name)
        with open(path, "rb") as f:
            buf = f.read()
        if len(buf) % _RECORD:
            raise RuntimeError(f"Invalid cifar10 file, {path} has {len(buf)} bytes, not a whole number of "
                               f"{_RECORD}-byte records (1 label byte and 3072 image bytes): is it truncated, or "
                               f"a CIFAR-100 file?")
        rec = np.frombuffer(buf, np.uint8).reshape(-1, _RECORD)
        labels.append(rec[:, 0].astype(np.uint32))
        images.append(rec[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    if not sum(len(lb) for lb in labels):
        raise RuntimeError(f"Cifar10Dataset: no valid data matching the dataset API Cifar10Dataset in {dataset_dir}: "
                           f"expected .bin files whose names contain '{key}' (data_batch_1.bin ... data_batch_5.bin, "
                           f"test_batch.bin) holding at least one record")
    return np.ascontiguousarray(np.concatenate(images)), np.concatenate(labels)


class Cifar10Dataset(_SourceDataset):
    """CIFAR-10 (binary version) in ``dataset_dir``. Columns ``image`` (uint8, (32, 32, 3)) and ``label`` (uint32
    scalar). ``usage``: 'train' (50000 images), 'test' (10000) or 'all' (None: all, train first)."""

    def __init__(self, dataset_dir, usage=None, num_samples=None, num_parallel_workers=None, shuffle=None,
                 sampler=None, num_shards=None, shard_id=None, cache=None):
        usage = "all" if usage is None else usage
        if usage not in ("train", "test", "all"):
            raise ValueError(f"For 'Cifar10Dataset', usage must be 'train', 'test' or 'all', but got {usage!r}")
        arrays = _read_cifar10(dataset_dir, usage)
        super().__init__("Cifar10Dataset", _ArraySource(arrays), ["image", "label"], None, num_samples, shuffle,
                         sampler, num_shards, shard_id)
