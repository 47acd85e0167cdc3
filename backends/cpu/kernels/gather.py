"""CPU kernels of the index ops Gather, GatherGrad and OneHot (defined in ops/gather_ops.py), over
(outer, n, inner) views around the indexed axis. Gather and GatherGrad check every index before
touching memory, so a bad index raises a ValueError instead of reading or writing out of bounds."""

import numpy as np

from ....ops.geometry import axis_split, prod
from ...base import kernel


@kernel("Gather", "CPU", args=lambda node: axis_split(node.inputs[0].shape, node.attrs["axis"]))
def gather_kernel(params, indices, out, outer, n, inner):
    idx = indices.reshape(indices.size)
    m = idx.size
    for j in range(m):
        if idx[j] < -n or idx[j] >= n:
            raise ValueError("For 'Gather', an index is out of range [-params.shape[axis], params.shape[axis])")
    p3 = params.reshape((outer, n, inner))
    o3 = out.reshape((outer, m, inner))
    for a in range(outer):
        for j in range(m):
            k = idx[j] + n if idx[j] < 0 else idx[j]
            for c in range(inner):
                o3[a, j, c] = p3[a, k, c]


@kernel("GatherGrad", "CPU", args=lambda node: axis_split(node.attrs["shape"], node.attrs["axis"]))
def gather_grad_kernel(d, indices, out, outer, n, inner):
    # Scatter-add (UnsortedSegmentSum along axis): out[a, idx[j], c] += d[a, j, c].
    idx = indices.reshape(indices.size)
    m = idx.size
    for j in range(m):
        if idx[j] < -n or idx[j] >= n:
            raise ValueError("For 'GatherGrad', an index is out of range [-params.shape[axis], params.shape[axis])")
    of = out.reshape(out.size)
    for t in range(of.size):
        of[t] = 0
    d3 = d.reshape((outer, m, inner))
    o3 = out.reshape((outer, n, inner))
    for a in range(outer):
        for j in range(m):
            k = idx[j] + n if idx[j] < 0 else idx[j]
            for c in range(inner):
                o3[a, k, c] += d3[a, j, c]


def _one_hot_args(node):
    axis = node.attrs["axis"]
    shape = node.inputs[0].shape
    return (prod(shape[:axis]), node.attrs["depth"], prod(shape[axis:]), bool(node.attrs.get("check_range", False)))


# A host kernel (jit=False): three numpy calls over (outer, depth, inner); compiling its loops cost ~0.4 s of
# CPU at a cold LeNet-5 start-up, and a step calls it once on a few hundred elements.
@kernel("OneHot", "CPU", args=_one_hot_args, jit=False)
def one_hot_kernel(indices, on, off, out, outer, depth, inner, check_range):
    # An index outside [0, depth) matches no position: its row is all off_value (as MindSpore's CPU
    # kernel), unless ``check_range`` (class labels) makes it an error.
    i3 = indices.reshape(outer, 1, inner)
    if check_range and ((i3 < 0) | (i3 >= depth)).any():
        raise ValueError("For 'OneHot', a label is out of range [0, num_classes)")
    hit = i3 == np.arange(depth).reshape(1, depth, 1)
    np.copyto(out.reshape(outer, depth, inner), np.where(hit, on.reshape(-1)[0], off.reshape(-1)[0]))
