"""Embedding: a lookup table of ``vocab_size`` rows whose gradient is row-sparse."""

import numbers

import numpy as np

from ... import ops
from ...graph import dtype as mstype
from ...graph.cell import Cell
from ...graph.parameter import Parameter
from ...graph.tensor import Tensor
from ...ops.sparse_ops import sparse_gather_v2
from ..initializer import initializer

_INT_TYPES = (mstype.int8, mstype.int16, mstype.int32, mstype.int64, mstype.uint8, mstype.uint16, mstype.uint32,
              mstype.uint64)


def _check_int(value, name, positive=True):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"For 'Embedding', the type of '{name}' must be int, but got {type(value).__name__}")
    if positive and value <= 0:
        raise ValueError(f"For 'Embedding', '{name}' must be a positive int, but got {value}")
    return int(value)


class Embedding(Cell):
    r"""A lookup table: ``out = embedding_table[ids]``, out.shape = ids.shape + (embedding_size,).

    ``Embedding(vocab_size, embedding_size, use_one_hot=False, embedding_table='normal',
    dtype=mstype.int32, padding_idx=None)`` (MindSpore 2.x). The table is the Parameter
    ``embedding_table`` of shape (vocab_size, embedding_size), float32, drawn from
    ``embedding_table`` (an initializer, its name, or a Tensor; 'normal' is N(0, 0.01^2)).
    ``padding_idx`` in [0, vocab_size) zeroes that row at initialisation only (it is still trained,
    as in MindSpore). ``dtype`` is the (integer) dtype of the ids. Ids lie in [-vocab_size,
    vocab_size) (negative ones count from the end); anything else raises a ValueError when the step runs.

    The table's gradient is a RowTensor (MindSpore's RowTensor: the looked-up rows and their output
    gradients), so LazyAdam, Adam(use_lazy=True), FTRL and ProximalAdagrad update only those rows;
    other optimizers densify it. ``use_one_hot=True`` computes ``one_hot(ids) @ table`` instead,
    whose gradient is dense.
    """

    def __init__(self, vocab_size, embedding_size, use_one_hot=False, embedding_table="normal", dtype=mstype.int32,
                 padding_idx=None):
        super().__init__()
        self.vocab_size = _check_int(vocab_size, "vocab_size")
        self.embedding_size = _check_int(embedding_size, "embedding_size")
        if not isinstance(use_one_hot, bool):
            raise TypeError(f"For 'Embedding', the type of 'use_one_hot' must be bool, but got "
                            f"{type(use_one_hot).__name__}")
        if dtype not in _INT_TYPES:
            raise TypeError(f"For 'Embedding', the 'dtype' must be an int type, but got {dtype}")
        self.use_one_hot = use_one_hot
        self.dtype = dtype
        table = initializer(embedding_table, (self.vocab_size, self.embedding_size), mstype.float32)
        self.padding_idx = padding_idx
        if padding_idx is not None:
            _check_int(padding_idx, "padding_idx", positive=False)
            if not 0 <= padding_idx < self.vocab_size:
                raise ValueError(f"For 'Embedding', the 'padding_idx' must be in range [0, {self.vocab_size}), "
                                 f"but got {padding_idx}")
            data = table.asnumpy()
            data[padding_idx] = 0
            table = Tensor(data)
        self.embedding_table = Parameter(table, name="embedding_table")

    def construct(self, ids):
        out_shape = tuple(ids.shape) + (self.embedding_size,)
        flat_ids = ops.reshape(ids, (int(np.prod(ids.shape, dtype=np.int64)),))
        if self.use_one_hot:
            on = Tensor(np.ones((), self.embedding_table.dtype.np))
            off = Tensor(np.zeros((), self.embedding_table.dtype.np))
            rows = ops.matmul(ops.one_hot(flat_ids, self.vocab_size, on, off), self.embedding_table)
        else:
            rows = sparse_gather_v2(self.embedding_table, flat_ids)
        return ops.reshape(rows, out_shape)

    def extend_repr(self):
        return (f"vocab_size={self.vocab_size}, embedding_size={self.embedding_size}, use_one_hot={self.use_one_hot}, "
                f"embedding_table={self.embedding_table}, dtype={self.dtype}, padding_idx={self.padding_idx}")


__all__ = ["Embedding"]
