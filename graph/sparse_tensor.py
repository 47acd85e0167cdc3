"""MindSpore's sparse tensor containers, ``CSRTensor`` and ``COOTensor``: eager values (their parts are
Tensors) with MindSpore's attributes, ``astype``, ``to_dense`` and the conversions between them. minispore's
graphs do not take them as inputs (the row-sparse gradients of embeddings are ``RowTensor``)."""

import numpy as np

from .tensor import Tensor


def _tensor(x, dtype=None):
    return x if isinstance(x, Tensor) and dtype is None else Tensor(x, dtype)


class _Sparse:
    @property
    def dtype(self):
        return self.values.dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return self.values.size

    @property
    def itemsize(self):
        return self.values.itemsize

    def __repr__(self):
        return f"{type(self).__name__}(shape={list(self.shape)}, dtype={self.dtype}, {self._parts()})"

    def to_dense(self):
        """The dense Tensor (duplicate entries add up)."""
        dense = np.zeros(self.shape, self.values.asnumpy().dtype)
        np.add.at(dense, tuple(self._coords()), self.values.asnumpy())
        return Tensor(dense)


class COOTensor(_Sparse):
    """``COOTensor(indices, values, shape)``: ``indices`` (N, ndim) int32/int64 coordinates of the ``values`` (N,)."""

    def __init__(self, indices=None, values=None, shape=None, coo_tensor=None):
        if coo_tensor is not None:
            indices, values, shape = coo_tensor.indices, coo_tensor.values, coo_tensor.shape
        self.indices, self.values, self.shape = _tensor(indices), _tensor(values), tuple(shape)
        if self.indices.ndim != 2 or self.indices.shape[1] != len(self.shape):
            raise ValueError(f"For 'COOTensor', indices must have shape (N, {len(self.shape)}), "
                             f"but got {self.indices.shape}")

    def _coords(self):
        return self.indices.asnumpy().T

    def _parts(self):
        return f"indices={self.indices}, values={self.values}"

    def astype(self, dtype):
        return COOTensor(self.indices, self.values.astype(dtype), self.shape)

    def to_tuple(self):
        return self.indices, self.values, self.shape

    def to_csr(self):
        """The CSRTensor of a 2-d COOTensor (entries sorted by row, then column)."""
        idx = self.indices.asnumpy()
        order = np.lexsort((idx[:, 1], idx[:, 0]))
        counts = np.bincount(idx[:, 0], minlength=self.shape[0])
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(idx.dtype)
        return CSRTensor(Tensor(indptr), Tensor(idx[order, 1]), Tensor(self.values.asnumpy()[order]), self.shape)


class CSRTensor(_Sparse):
    """``CSRTensor(indptr, indices, values, shape)``: row ``i``'s column ``indices`` and ``values`` are at
    ``indptr[i]:indptr[i + 1]``."""

    def __init__(self, indptr=None, indices=None, values=None, shape=None, csr_tensor=None):
        if csr_tensor is not None:
            indptr, indices, values, shape = csr_tensor.indptr, csr_tensor.indices, csr_tensor.values, csr_tensor.shape
        self.indptr, self.indices, self.values = _tensor(indptr), _tensor(indices), _tensor(values)
        self.shape = tuple(shape)
        if self.indptr.shape != (self.shape[0] + 1,) or self.indices.shape != self.values.shape[:1]:
            raise ValueError(f"For 'CSRTensor', indptr must have shape ({self.shape[0] + 1},) and indices one entry "
                             f"per value, but got {self.indptr.shape}, {self.indices.shape}, {self.values.shape}")

    def _coords(self):
        rows = np.repeat(np.arange(self.shape[0]), np.diff(self.indptr.asnumpy()))
        return [rows, self.indices.asnumpy()]

    def _parts(self):
        return f"indptr={self.indptr}, indices={self.indices}, values={self.values}"

    def astype(self, dtype):
        return CSRTensor(self.indptr, self.indices, self.values.astype(dtype), self.shape)

    def to_tuple(self):
        return self.indptr, self.indices, self.values, self.shape

    def to_coo(self):
        rows, cols = self._coords()
        idx = np.stack([rows, cols], 1).astype(self.indices.asnumpy().dtype)
        return COOTensor(Tensor(idx), self.values, self.shape)
