"""CPU kernels of StridedSlice (x[begin:end:step] on every axis) and its gradient StridedSliceGrad
(defined in ops/indexing.py); the slice's offset and strides come from ``ops.geometry.slice_strides``."""

from ....ops.indexing import slice_args, slice_grad_args
from ...base import kernel
from .strided import strided_copy


@kernel("StridedSlice", "CPU", helpers=(strided_copy,), args=slice_args)
def strided_slice_kernel(x, out, offset, src_strides, shape):
    strided_copy(x, out, offset, src_strides, shape, False)


@kernel("StridedSliceGrad", "CPU", helpers=(strided_copy,), args=slice_grad_args)
def strided_slice_grad_kernel(d, out, offset, dst_strides, shape):
    # Zeros, then d added into the slice (a scatter-add through the slice's strides).
    of = out.reshape(out.size)
    for i in range(of.size):
        of[i] = 0
    strided_copy(d, out, offset, dst_strides, shape, True)
