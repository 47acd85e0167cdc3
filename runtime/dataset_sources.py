"""Dataset sources: ``NumpySlicesDataset`` (in-memory arrays), ``GeneratorDataset`` (Python callables,
iterables and random-accessible objects) and ``MnistDataset`` (IDX files), all on one source node that
handles sampling order, shuffling, sharding and ``num_samples``.
"""

import itertools
import logging
import math
import os

import numpy as np

from ..graph import dtype as mstype
from ..graph.tensor import Tensor
from .dataset_base import _CONFIG, _check_int, _column_list, _to_column
from .dataset_ops import Dataset

logger = logging.getLogger("minispore")


def _to_row(item, op, names):
    """A source item as a row: a tuple/list gives one column per element, anything else one column."""
    def where(i):
        return f"For '{op}', column '{names[i]}' (item {i} of a row)" if i < len(names) else f"For '{op}', item {i}"
    if isinstance(item, (tuple, list)):
        return tuple(_to_column(v, where(i)) for i, v in enumerate(item))
    return (_to_column(item, where(0)),)


class _ArraySource:
    """Columns held as arrays of equal length, sliced along axis 0 (supports gathering a batch)."""

    def __init__(self, arrays):
        self.arrays = arrays

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, i):
        return tuple(np.array(a[i]) for a in self.arrays)

    def gather(self, indices):
        return tuple(a[indices] for a in self.arrays)


class _SourceDataset(Dataset):
    """Rows from a random-accessible source in (shuffled, sharded) sampler order, from a callable
    returning an iterator (called once per pass), or from an iterable."""

    def __init__(self, op, source, column_names, column_types=None, num_samples=None, shuffle=None,
                 sampler=None, num_shards=None, shard_id=None):
        super().__init__((), column_names)
        self._op, self._source = op, source
        self._random = hasattr(source, "__getitem__") and hasattr(source, "__len__")
        # an iterator (a generator object: gen() rather than gen) can be read by one pass only; a second pass
        # (the next epoch, or the pass after get_dataset_size counted the rows) would silently give no rows
        self._one_shot = not self._random and not callable(source) and hasattr(source, "__next__")
        self._read = False
        if not (self._random or callable(source) or hasattr(source, "__iter__")):
            raise TypeError(f"For '{op}', source must be a callable returning an iterator, an iterable or a "
                            f"random-accessible object (with __getitem__ and __len__), but got "
                            f"{type(source).__name__}")
        if sampler is not None:
            raise ValueError(f"For '{op}', samplers are not supported by minispore; use shuffle, num_samples, "
                             "num_shards and shard_id")
        if shuffle is not None and not isinstance(shuffle, bool):
            raise TypeError(f"For '{op}', shuffle must be a bool or None, but got {type(shuffle).__name__}")
        self._num_samples = None if num_samples is None else _check_int(num_samples, "num_samples", op, 0)
        if (num_shards is None) != (shard_id is None):
            raise RuntimeError(f"For '{op}', num_shards and shard_id must be given together")
        if num_shards is not None:
            _check_int(num_shards, "num_shards", op, 1)
            _check_int(shard_id, "shard_id", op, 0, num_shards - 1)
        if num_shards is not None and not self._random:
            # an iterable has no row indices to deal out: every rank would silently read every row
            raise ValueError("num_shards is not supported if source does not have attribute '__getitem__'")
        self._shards = (num_shards, shard_id) if num_shards is not None else None
        self._shuffle = shuffle is not False and self._random
        if shuffle and not self._random:
            logger.warning("%s: shuffle needs a random-accessible source; the rows of this iterable source "
                           "keep their order", op)
        self._types = None
        if column_types is not None:
            if len(column_types) != len(self._columns):
                raise ValueError(f"For '{op}', column_types has {len(column_types)} types for "
                                 f"{len(self._columns)} columns")
            self._types = [mstype.to_np(t) for t in column_types]
        self._seed = _CONFIG["seed"]

    def _order(self, key):
        n = len(self._source)
        order = self._rng(key).permutation(n) if self._shuffle else np.arange(n)
        if self._shards is not None:
            # MindSpore's DistributedSampler: every shard gets ceil(n / num_shards) rows, row k of
            # shard s is order[(k * num_shards + s) % n] (wrapping around to even out the shards).
            num_shards, shard_id = self._shards
            per = -(-n // num_shards)
            order = order[(np.arange(per) * num_shards + shard_id) % n] if n else order
        if self._num_samples:
            order = order[:self._num_samples]
        return order

    def _num_rows(self):
        if not self._random:
            if not hasattr(self._source, "__len__"):
                return None
            n = len(self._source)
            return min(n, self._num_samples) if self._num_samples else n
        n = len(self._source)
        if self._shards is not None:
            n = -(-n // self._shards[0]) if n else 0
        return min(n, self._num_samples) if self._num_samples else n

    def _check_row(self, row):
        if len(row) != len(self._columns):
            raise RuntimeError(f"For '{self._op}', the source gave a row of {len(row)} column(s), but "
                               f"column_names has {len(self._columns)}: {self._columns} (a tuple or list item gives "
                               f"one column per element; yield (array,) for a single column)")
        if self._types is not None:
            row = tuple(a.astype(t, copy=False) for a, t in zip(row, self._types))
        return row

    def _rows(self, key):
        if self._random:
            arrays = isinstance(self._source, _ArraySource)
            for i in self._order(key):
                item = self._source[int(i)]
                yield self._check_row(item if arrays else _to_row(item, self._op, self._columns))
            return
        if self._one_shot and self._read:
            raise RuntimeError(
                f"For '{self._op}', the source is an iterator ({type(self._source).__name__}) that an earlier pass "
                "already read (a previous epoch, get_dataset_size() counting its rows, or output_shapes()), and an "
                "iterator can be read only once: pass a callable returning a new iterator, e.g. the generator "
                "function itself (GeneratorDataset(gen, ...), not GeneratorDataset(gen(), ...)), or an object with "
                "__getitem__ and __len__")
        self._read = True
        items = self._source() if callable(self._source) else iter(self._source)
        if self._num_samples:
            items = itertools.islice(items, self._num_samples)
        for item in items:
            yield self._check_row(_to_row(item, self._op, self._columns))

    def _batch_rows(self, key, batch_size, drop_remainder):
        """Whole batches gathered with one fancy index per column (array sources only)."""
        if not isinstance(self._source, _ArraySource):
            return None
        order = self._order(key)

        def gen():
            for start in range(0, len(order), batch_size):
                idx = order[start:start + batch_size]
                if len(idx) < batch_size and drop_remainder:
                    return
                yield self._check_row(self._source.gather(idx))

        return gen()


def _default_names(n):
    return [f"column_{i}" for i in range(n)]


class GeneratorDataset(_SourceDataset):
    """Rows from Python: ``source`` is a callable returning an iterator (a generator function), an
    iterable, or a random-accessible object (``__getitem__``/``__len__``; only these can be
    shuffled, sharded, and are shuffled by default). Each item is a tuple of columns (numbers,
    numpy arrays or Tensors) or a single column."""

    def __init__(self, source, column_names=None, column_types=None, schema=None, num_samples=None,
                 num_parallel_workers=1, shuffle=None, sampler=None, num_shards=None, shard_id=None,
                 python_multiprocessing=True, max_rowsize=None):
        if schema is not None:
            raise ValueError("For 'GeneratorDataset', schema is not supported by minispore; use column_names")
        if column_names is None:
            raise ValueError("For 'GeneratorDataset', neither column_names nor schema are provided")
        column_names = _column_list(column_names, "GeneratorDataset", "column_names")
        super().__init__("GeneratorDataset", source, column_names, column_types, num_samples, shuffle, sampler,
                         num_shards, shard_id)


class NumpySlicesDataset(_SourceDataset):
    """Slices of in-memory data along the first axis. ``data`` is a list or numpy array (one column),
    a tuple (one column per element) or a dict (column name -> values). Default column names:
    ``column_0``, ``column_1``, ... (dict keys for a dict)."""

    def __init__(self, data, column_names=None, num_samples=None, num_parallel_workers=1, shuffle=None,
                 sampler=None, num_shards=None, shard_id=None):
        op = "NumpySlicesDataset"
        if isinstance(data, dict):
            names, values = [str(k) for k in data], list(data.values())
        elif isinstance(data, tuple):
            names, values = None, list(data)
        elif isinstance(data, (list, np.ndarray, Tensor)):
            names, values = None, [data]
        else:
            raise TypeError(f"For '{op}', data must be a list, tuple, dict or numpy array, but got "
                            f"{type(data).__name__}")
        if not values:
            raise ValueError(f"For '{op}', data has no columns")
        arrays = [_to_column(v, f"For '{op}', column {i}") for i, v in enumerate(values)]
        for i, a in enumerate(arrays):
            if a.ndim == 0:
                raise ValueError(f"For '{op}', column {i} is a scalar; it cannot be sliced into rows")
        lengths = [len(a) for a in arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"For '{op}', data length in each column is not equal: {lengths}")
        if column_names is not None:
            names = _column_list(column_names, op, "column_names")
            if len(names) != len(arrays):
                raise ValueError(f"For '{op}', column_names has {len(names)} names, but data has {len(arrays)} "
                                 "column(s)")
        super().__init__(op, _ArraySource(arrays), names or _default_names(len(arrays)), None, num_samples,
                         shuffle, sampler, num_shards, shard_id)


# first bytes of files often found in place of an IDX file, to say what the file is
_FOREIGN = {b"\x1f\x8b": "a gzip archive: decompress it first (gunzip)", b"PK\x03\x04": "a zip archive: extract it",
            b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"<": "a text/HTML file (a failed download?)"}
_IDX = {2051: ("image", 3), 2049: ("label", 1)}


def _read_idx(path, magic):
    """An MNIST IDX file (big-endian int32 magic and dims, then uint8 data) as an array, checked as
    MindSpore's MnistOp checks it: the header, the magic number, 28x28 images and the exact data length
    (a truncated file, or one with bytes beyond its header's count, is refused). RuntimeErrors name the file."""
    kind, ndim = _IDX[magic]
    try:
        with open(path, "rb") as f:
            buf = f.read()
    except OSError as err:
        raise RuntimeError(f"Invalid MNIST file, failed to open {path}: {err.strerror or err} (the file is damaged "
                           f"or permission denied)") from err
    header = 4 * (1 + ndim)
    got = int.from_bytes(buf[:4], "big")
    if len(buf) >= 4 and got != magic:  # first: a foreign or swapped file says what it is, not "truncated"
        what = next((f" (it is {d})" for sig, d in _FOREIGN.items() if buf.startswith(sig)), "")
        if got in _IDX:
            what = f" (that of an MNIST {_IDX[got][0]} file: is it misnamed?)"
        raise RuntimeError(f"Invalid MNIST file, {path} is not an MNIST IDX {kind} file: expected magic number "
                           f"{magic}, but got {got}{what}")
    if len(buf) < header:
        raise RuntimeError(f"Invalid MNIST file, {path} is truncated: it has {len(buf)} bytes, less than the "
                           f"{header}-byte header of an IDX {kind} file")
    dims = [int.from_bytes(buf[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    if kind == "image" and dims[1:] != [28, 28]:
        raise RuntimeError(f"Invalid MNIST file, shape of image in {path} should be (28, 28), but got "
                           f"({dims[1]}, {dims[2]})")
    count = math.prod(dims)
    if len(buf) - header != count:
        state = "truncated" if len(buf) - header < count else "longer than its header says"
        raise RuntimeError(f"Invalid MNIST file, {path} is {state}: its header gives {dims[0]} {kind}s "
                           f"({count} bytes of data), but the file has {len(buf) - header} bytes after the header")
    return np.frombuffer(buf, np.uint8, count, header).reshape(dims)


def dataset_folder(dataset_dir, op):
    """``dataset_dir`` as a path string, checked to be an existing folder (MindSpore's messages)."""
    try:
        dataset_dir = os.fspath(dataset_dir)
    except TypeError:
        raise TypeError(f"For '{op}', dataset_dir must be a str (a folder path), but got "
                        f"{type(dataset_dir).__name__}") from None
    if not os.path.isdir(dataset_dir):
        raise ValueError(f"The folder {dataset_dir} does not exist or is not a directory or permission denied!")
    return dataset_dir


def _read_mnist(dataset_dir, usage):
    dataset_dir = dataset_folder(dataset_dir, "MnistDataset")
    prefixes = {"train": ["train"], "test": ["t10k"], "all": ["train", "t10k"]}[usage]
    names = sorted(os.listdir(dataset_dir))
    images, labels = [], []
    for prefix in prefixes:
        img = [n for n in names if n.startswith(prefix) and "idx3-ubyte" in n]
        lbl = [n for n in names if n.startswith(prefix) and "idx1-ubyte" in n]
        if len(img) != len(lbl):
            raise RuntimeError(f"Invalid MNIST file, num of images should be equal to num of labels: found "
                               f"{len(img)} image file(s) {img} but {len(lbl)} label file(s) {lbl} with prefix "
                               f"'{prefix}' in {dataset_dir}")
        for i_name, l_name in zip(img, lbl):
            i_path, l_path = os.path.join(dataset_dir, i_name), os.path.join(dataset_dir, l_name)
            im, lb = _read_idx(i_path, 2051), _read_idx(l_path, 2049)
            if len(im) != len(lb):
                raise RuntimeError(f"Invalid MNIST file, {i_path} has {len(im)} images but {l_path} has {len(lb)} "
                                   f"labels: the images number should be equal to the labels number")
            images.append(im[..., None])
            labels.append(lb.astype(np.uint32))
    if not sum(len(i) for i in images):  # no files, or files of 0 images: MindSpore refuses both
        raise RuntimeError(f"MnistDataset: no valid data matching the dataset API MnistDataset in {dataset_dir}: "
                           f"expected {' and '.join(p + '-images-idx3-ubyte' for p in prefixes)} with their "
                           "labels files" + (" (the files found hold 0 images)" if images else ""))
    return np.concatenate(images), np.concatenate(labels)


class MnistDataset(_SourceDataset):
    """MNIST from its IDX files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-...``) in ``dataset_dir``. Columns ``image`` (uint8, (28, 28, 1)) and ``label``
    (uint32 scalar). ``usage``: 'train', 'test' or 'all' (None: all, train first)."""

    def __init__(self, dataset_dir, usage=None, num_samples=None, num_parallel_workers=None, shuffle=None,
                 sampler=None, num_shards=None, shard_id=None, cache=None):
        usage = "all" if usage is None else usage
        if usage not in ("train", "test", "all"):
            raise ValueError(f"For 'MnistDataset', usage must be 'train', 'test' or 'all', but got {usage!r}")
        arrays = _read_mnist(dataset_dir, usage)
        super().__init__("MnistDataset", _ArraySource(arrays), ["image", "label"], None, num_samples, shuffle,
                         sampler, num_shards, shard_id)
