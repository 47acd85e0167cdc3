"""``Dataset``, the public base of every dataset node, and the pipeline nodes its methods build:
batch, shuffle, map, repeat, take, skip, project and rename. The methods and the node classes live
in one module, so neither needs to import the other (the nodes are ``Dataset``s themselves)."""

import itertools

import numpy as np

from .dataset_base import _CONFIG, DatasetBase, _check_int, _check_known, _column_list, _to_column


def _stack(rows, columns):
    out = []
    for j, name in enumerate(columns):
        first = rows[0][j]
        for r in rows[1:]:
            if r[j].shape != first.shape or r[j].dtype != first.dtype:
                raise RuntimeError(
                    f"Inconsistent batch shapes, batch operation expects same shape and type for each data row, "
                    f"but column '{name}' has shape {list(first.shape)} ({first.dtype}) and shape "
                    f"{list(r[j].shape)} ({r[j].dtype})")
        out.append(np.stack([r[j] for r in rows]))
    return tuple(out)


class Dataset(DatasetBase):
    """Base of every dataset: ``DatasetBase``'s information and iterators, plus the pipeline operations,
    each returning a new dataset node (MindSpore's ``mindspore.dataset.Dataset``)."""

    # ---- pipeline operations (each returns a new dataset) --------------------------------------
    def batch(self, batch_size, drop_remainder=False, num_parallel_workers=None, **kwargs):
        """Stack ``batch_size`` consecutive rows per column; the last, smaller batch is kept unless
        ``drop_remainder``."""
        return BatchDataset(self, batch_size, drop_remainder)

    def shuffle(self, buffer_size):
        """Buffer shuffle: keep ``buffer_size`` rows, emit a random one and put the next row in its place."""
        return ShuffleDataset(self, buffer_size)

    def map(self, operations, input_columns=None, output_columns=None, num_parallel_workers=None, **kwargs):
        """Apply ``operations`` (a callable or a list, chained) to ``input_columns`` (default: the first)
        of every row; the results become ``output_columns`` (default: the input columns)."""
        return MapDataset(self, operations, input_columns, output_columns)

    def repeat(self, count=None):
        """Repeat the dataset ``count`` times (None or -1: forever), reshuffling on each repeat."""
        return RepeatDataset(self, count)

    def take(self, count=-1):
        return TakeDataset(self, count)

    def skip(self, count):
        return SkipDataset(self, count)

    def project(self, columns):
        return ProjectDataset(self, columns)

    def rename(self, input_columns, output_columns):
        return RenameDataset(self, input_columns, output_columns)


class BatchDataset(Dataset):
    def __init__(self, child, batch_size, drop_remainder=False):
        super().__init__([child], child.get_col_names())
        if callable(batch_size):
            raise TypeError("For 'batch', a callable batch_size is not supported by minispore; pass an int")
        self._batch_size = _check_int(batch_size, "batch_size", "batch", 1)
        if not isinstance(drop_remainder, bool):
            raise TypeError(f"For 'batch', drop_remainder must be bool, but got {type(drop_remainder).__name__}")
        self._drop = drop_remainder

    def _rows(self, key):
        child, bs = self.children[0], self._batch_size
        fast = getattr(child, "_batch_rows", None)
        gen = fast(key, bs, self._drop) if fast else None
        if gen is not None:
            yield from gen
            return
        buf = []
        for row in child._rows(key):
            buf.append(row)
            if len(buf) == bs:
                yield _stack(buf, self._columns)
                buf = []
        if buf and not self._drop:
            yield _stack(buf, self._columns)

    def _num_rows(self):
        n = self.children[0]._num_rows()
        if n is None or n < 0:
            return n
        return n // self._batch_size if self._drop else -(-n // self._batch_size)

    def get_batch_size(self):
        return self._batch_size


class ShuffleDataset(Dataset):
    def __init__(self, child, buffer_size):
        super().__init__([child], child.get_col_names())
        self._buffer_size = _check_int(buffer_size, "buffer_size", "shuffle", 2)
        self._seed = _CONFIG["seed"]

    def _rows(self, key):
        rng, buf = self._rng(key), []
        for row in self.children[0]._rows(key):
            if len(buf) < self._buffer_size:
                buf.append(row)
                continue
            j = int(rng.integers(len(buf)))
            yield buf[j]
            buf[j] = row
        while buf:
            j = int(rng.integers(len(buf)))
            buf[j], buf[-1] = buf[-1], buf[j]
            yield buf.pop()


class MapDataset(Dataset):
    def __init__(self, child, operations, input_columns=None, output_columns=None):
        names = child.get_col_names()
        ops = list(operations) if isinstance(operations, (list, tuple)) else [operations]
        if not ops or not all(callable(op) for op in ops):
            raise TypeError(f"For 'map', operations must be a callable or a non-empty list of callables, but got "
                            f"{operations!r}")
        inputs = [names[0]] if input_columns is None else _column_list(input_columns, "map", "input_columns")
        _check_known(inputs, names, "map")
        outputs = inputs if output_columns is None else _column_list(output_columns, "map", "output_columns")
        if len(outputs) == len(inputs):
            new_names = [outputs[inputs.index(c)] if c in inputs else c for c in names]
        else:  # the outputs take the place of the input columns, at the first input column's position
            kept = [c for c in names if c not in inputs]
            at = sum(1 for c in names[:names.index(inputs[0])] if c not in inputs)
            new_names = kept[:at] + outputs + kept[at:]
        if len(set(new_names)) != len(new_names):
            raise ValueError(f"For 'map', output_columns {outputs} clash with the other columns of {names}")
        super().__init__([child], new_names)
        self._ops, self._outputs = ops, outputs
        self._in_idx = [names.index(c) for c in inputs]
        src = {c: ("in", outputs.index(c)) if c in outputs else ("row", names.index(c)) for c in new_names}
        self._layout = [src[c] for c in new_names]

    def _rows(self, key):
        for row in self.children[0]._rows(key):
            args = [row[i] for i in self._in_idx]
            for op in self._ops:
                res = op(*args)
                args = list(res) if isinstance(res, tuple) else [res]
            if len(args) != len(self._outputs):
                raise RuntimeError(f"For 'map', the operations returned {len(args)} value(s), but output_columns "
                                   f"has {len(self._outputs)}: {self._outputs}")
            outs = [_to_column(a, "For 'map', an operation's result") for a in args]
            yield tuple(outs[j] if kind == "in" else row[j] for kind, j in self._layout)


class RepeatDataset(Dataset):
    def __init__(self, child, count=None):
        super().__init__([child], child.get_col_names())
        count = -1 if count is None else count
        if count != -1:
            _check_int(count, "count", "repeat", 1)
        self._count = count

    def _rows(self, key):
        for r in itertools.count() if self._count == -1 else range(self._count):
            produced = False
            for row in self.children[0]._rows(key + (r,)):
                produced = True
                yield row
            if not produced:  # an empty dataset repeated forever would never yield or end
                return

    def _num_rows(self):
        n = self.children[0]._num_rows()
        if self._count == -1 or n is None or n < 0:
            return -1 if self._count == -1 or (n is not None and n < 0) else None
        return n * self._count

    def get_repeat_count(self):
        return self._count


class TakeDataset(Dataset):
    def __init__(self, child, count=-1):
        super().__init__([child], child.get_col_names())
        self._count = count if count == -1 else _check_int(count, "count", "take", 1)

    def _rows(self, key):
        rows = self.children[0]._rows(key)
        return rows if self._count == -1 else itertools.islice(rows, self._count)

    def _num_rows(self):
        n = self.children[0]._num_rows()
        if self._count == -1 or n is None:
            return n
        return self._count if n < 0 else min(n, self._count)


class SkipDataset(Dataset):
    def __init__(self, child, count):
        super().__init__([child], child.get_col_names())
        self._count = _check_int(count, "count", "skip", 0)

    def _rows(self, key):
        return itertools.islice(self.children[0]._rows(key), self._count, None)

    def _num_rows(self):
        n = self.children[0]._num_rows()
        return n if n is None or n < 0 else max(0, n - self._count)


class ProjectDataset(Dataset):
    def __init__(self, child, columns):
        columns = _column_list(columns, "project", "columns")
        _check_known(columns, child.get_col_names(), "project")
        super().__init__([child], columns)
        self._idx = [child.get_col_names().index(c) for c in columns]

    def _rows(self, key):
        for row in self.children[0]._rows(key):
            yield tuple(row[i] for i in self._idx)


class RenameDataset(Dataset):
    def __init__(self, child, input_columns, output_columns):
        inputs = _column_list(input_columns, "rename", "input_columns")
        outputs = _column_list(output_columns, "rename", "output_columns")
        if len(inputs) != len(outputs):
            raise ValueError(f"For 'rename', input_columns {inputs} and output_columns {outputs} differ in length")
        _check_known(inputs, child.get_col_names(), "rename")
        names = [outputs[inputs.index(c)] if c in inputs else c for c in child.get_col_names()]
        if len(set(names)) != len(names):
            raise ValueError(f"For 'rename', the new column names {names} are not unique")
        super().__init__([child], names)

    def _rows(self, key):
        return self.children[0]._rows(key)
