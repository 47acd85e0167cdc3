"""The dataset base: global ``config``, argument checks shared by every node, ``DatasetBase`` (the
information and iterator factories every node has) and the row iterators. ``dataset_ops`` builds the
public ``Dataset`` on it, adding the pipeline-operation methods next to the nodes they create.

A dataset is a chain of nodes. Iterating runs one *pass* over the chain; a pass is identified by
a key (the iterator's epoch, then one index per enclosing ``repeat``) from which every random
operation seeds its generator together with the dataset seed (``config.set_seed``, captured when
the operation is created) and its depth in the chain. So a pipeline built under the same seed
yields the same order, and every epoch and repeat reshuffles, as in MindSpore. Rows are tuples of
numpy arrays, one per column; iterators turn them into Tensors.
"""

import logging
import time

import numpy as np

from ..graph.tensor import Tensor

logger = logging.getLogger("minispore")
_INT32_MAX = 2**31 - 1
_COUNT_WARN_S = 10.0  # get_dataset_size counting a source's rows for longer than this warns (endless generator?)
# MindSpore's defaults (5489: std::mt19937's); "seed_calls" counts set_seed calls (random transforms restart with it)
_CONFIG = {"seed": 5489, "num_parallel_workers": 8, "seed_calls": 0}


class config:  # lower-case: stands in for the module ``mindspore.dataset.config``
    """Global dataset options: ``config.set_seed(seed)`` seeds every random operation created after it."""

    @staticmethod
    def set_seed(seed):
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"For 'set_seed', seed must be int, but got {type(seed).__name__}")
        if not 0 <= seed <= 2**32 - 1:
            raise ValueError(f"For 'set_seed', seed must be in [0, 4294967295], but got {seed}")
        _CONFIG["seed"] = seed
        _CONFIG["seed_calls"] += 1

    @staticmethod
    def get_seed():
        return _CONFIG["seed"]

    @staticmethod
    def set_num_parallel_workers(num):
        """Accepted for compatibility: minispore's pipeline runs in the calling thread."""
        _check_int(num, "num", "set_num_parallel_workers", 1)
        _CONFIG["num_parallel_workers"] = num

    @staticmethod
    def get_num_parallel_workers():
        return _CONFIG["num_parallel_workers"]


def _check_int(value, name, op, lo, hi=_INT32_MAX):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"For '{op}', the argument '{name}' must be int, but got {type(value).__name__}")
    if not lo <= value <= hi:
        raise ValueError(f"For '{op}', the argument '{name}' is not within the required interval of "
                         f"[{lo}, {hi}], but got {value}")
    return int(value)


def _column_list(columns, op, arg):
    if isinstance(columns, str):
        columns = [columns]
    if not isinstance(columns, (list, tuple)) or not columns or not all(isinstance(c, str) and c for c in columns):
        raise TypeError(f"For '{op}', '{arg}' must be a non-empty str or a non-empty list of str, but got {columns!r}")
    if len(set(columns)) != len(columns):
        raise ValueError(f"For '{op}', '{arg}' has duplicate names: {list(columns)}")
    return list(columns)


def _check_known(names, known, op):
    for name in names:
        if name not in known:
            raise ValueError(f"For '{op}', column '{name}' does not exist; the dataset's columns are {known}")


def _to_column(value, where):
    """One column value as a numpy array (a copy, so a source reusing its buffers cannot change it)."""
    if isinstance(value, Tensor):
        return value.asnumpy()
    try:
        arr = np.array(value)
    except ValueError:  # numpy >= 1.24 refuses a ragged nested sequence ("inhomogeneous shape")
        arr = None
    if arr is None or arr.dtype == object:
        got = "ragged rows" if arr is None else ("dtype object" if isinstance(value, np.ndarray) else "")
        raise TypeError(f"{where}: a column must be a number, a str or a regular (non-ragged) array, "
                        f"but got {type(value).__name__}" + (f" of {got}" if got else ""))
    return arr


def _tensor(value, name):
    """A column value as a Tensor; a dtype no Tensor holds (str, bytes, complex) names the column."""
    try:
        return Tensor(value)
    except TypeError as err:
        raise TypeError(f"For 'create_tuple_iterator', column '{name}' has dtype {value.dtype}, which a minispore "
                        f"Tensor cannot hold: convert it to numbers with dataset.map(...) (e.g. to float32 or "
                        f"int32), drop it with dataset.project(...), or iterate with output_numpy=True") from err


class DatasetBase:
    """Information and iteration shared by every dataset node (``Dataset``, in ``dataset_ops``, adds the
    pipeline operations). Subclasses implement ``_rows(key)`` (the rows of one pass) and ``_num_rows()``
    (the row count, -1 when infinite, None when unknown without iterating)."""

    def __init__(self, children=(), column_names=()):
        self.children = list(children)
        self._columns = list(column_names)
        self._depth = 1 + max((c._depth for c in self.children), default=-1)
        self._counted = None

    def _rows(self, key):
        raise NotImplementedError

    def _num_rows(self):
        return self.children[0]._num_rows()

    def _rng(self, key):
        return np.random.default_rng([self._seed, self._depth, *key])

    # ---- information ------------------------------------------------------------------------
    def get_col_names(self):
        return list(self._columns)

    def get_dataset_size(self):
        """The number of rows (batches, after ``batch``) in one epoch; -1 when repeated forever."""
        n = self._num_rows()
        if n is None:
            if self._counted is None:  # unknown length (a generator): count one pass, as MindSpore does
                self._counted = self._count_rows()
            n = self._counted
        return n

    def _count_rows(self):
        """One pass counted; a pass that runs long warns once, since an endless source would hang here silently."""
        start, count, warned = time.monotonic(), 0, False
        for _ in self._rows((0,)):
            count += 1
            if not warned and count % 1024 == 0 and time.monotonic() - start > _COUNT_WARN_S:
                warned = True
                logger.warning("get_dataset_size: counting the rows of a %s whose source has no __len__ has read %d "
                               "rows in %.0f s and goes on; a source that never ends makes this hang: give it "
                               "__len__ or num_samples, or use dataset.take(n)", type(self).__name__, count,
                               time.monotonic() - start)
        return count

    def get_batch_size(self):
        return self.children[0].get_batch_size() if self.children else 1

    def get_repeat_count(self):
        return self.children[0].get_repeat_count() if self.children else 1

    def output_shapes(self):
        return [list(a.shape) for a in next(iter(self._rows((0,))))]

    def output_types(self):
        return [a.dtype for a in next(iter(self._rows((0,))))]

    # ---- iteration ---------------------------------------------------------------------------
    def create_tuple_iterator(self, columns=None, num_epochs=-1, output_numpy=False, do_copy=True):
        """An iterator yielding each row as a list of Tensors (numpy arrays with ``output_numpy``).
        Each ``for`` loop over it runs one epoch; at most ``num_epochs`` (-1: unlimited)."""
        return TupleIterator(self, columns, num_epochs, output_numpy)

    def create_dict_iterator(self, num_epochs=-1, output_numpy=False, do_copy=True):
        """Like ``create_tuple_iterator``, but each row is a dict ``{column name: value}``."""
        return DictIterator(self, None, num_epochs, output_numpy)

    def __iter__(self):
        return self.create_tuple_iterator()

    def reset(self):
        return None


class _Iterator:
    def __init__(self, dataset, columns, num_epochs, output_numpy):
        if num_epochs != -1:
            _check_int(num_epochs, "num_epochs", "create_tuple_iterator", 1)
        names = dataset.get_col_names()
        if columns is not None:
            columns = _column_list(columns, "create_tuple_iterator", "columns")
            _check_known(columns, names, "create_tuple_iterator")
        self._names = columns or names
        self._index = [names.index(c) for c in self._names]
        self._dataset, self._num_epochs, self._output_numpy = dataset, num_epochs, output_numpy
        self._epoch, self._it = 0, None

    def __iter__(self):
        return self

    def __next__(self):
        if self._it is None:
            if self._num_epochs != -1 and self._epoch >= self._num_epochs:
                raise StopIteration
            self._it = iter(self._dataset._rows((self._epoch,)))
        try:
            row = next(self._it)
        except StopIteration:
            self._it = None
            self._epoch += 1
            raise
        values = [row[i] for i in self._index]
        return self._pack(values if self._output_numpy else [_tensor(v, n) for v, n in zip(values, self._names)])

    def get_col_names(self):
        return list(self._names)


class TupleIterator(_Iterator):
    def _pack(self, values):
        return values


class DictIterator(_Iterator):
    def _pack(self, values):
        return dict(zip(self._names, values))
