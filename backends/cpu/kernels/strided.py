"""The one strided walk of the CPU kernels: copy between a C-contiguous array and a strided view of
another (Transpose, BroadcastTo, StridedSlice gather through it; StridedSliceGrad scatters). The strides
come from ``ops/geometry.py`` (``transpose_strides``, ``broadcast_strides``, ``slice_strides``)."""

import numpy as np


def strided_copy(src, dst, offset, strides, shape, scatter):
    # Walk the index space ``shape`` (int64 array) in row-major order. Step i pairs element i of the
    # contiguous side with element p = offset + sum(index * strides) of the strided side: a gather
    # dst[i] = src[p], or with ``scatter`` a scatter-add dst[p] += src[i]. p follows the index like an
    # odometer (one add per step, one subtract per carry): no division per element.
    sf = src.reshape(src.size)
    df = dst.reshape(dst.size)
    nd = shape.size
    idx = np.zeros(nd, np.int64)
    p = offset
    for i in range(sf.size if scatter else df.size):
        if scatter:
            df[p] += sf[i]
        else:
            df[i] = sf[p]
        d = nd - 1
        while d >= 0:
            idx[d] += 1
            p += strides[d]
            if idx[d] < shape[d]:
                break
            p -= strides[d] * shape[d]
            idx[d] = 0
            d -= 1
