"""CPU kernels of the index ops Gather, GatherGrad and OneHot (defined in ops/gather_ops.py), over
(outer, n, inner) views around the indexed axis. Gather and GatherGrad check every index before
touching memory, so a bad index raises a ValueError instead of reading or writing out of bounds."""

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


@kernel("OneHot", "CPU", args=_one_hot_args)
def one_hot_kernel(indices, on, off, out, outer, depth, inner, check_range):
    # An index outside [0, depth) matches no position: its row is all off_value (as MindSpore's CPU
    # kernel), unless ``check_range`` (class labels) makes it an error. Indices are only compared, never
    # used as addresses.
    i2 = indices.reshape((outer, inner))
    if check_range:
        for a in range(outer):
            for c in range(inner):
                if i2[a, c] < 0 or i2[a, c] >= depth:
                    raise ValueError("For 'OneHot', a label is out of range [0, num_classes)")
    o3 = out.reshape((outer, depth, inner))
    onv = on.reshape(on.size)[0]
    offv = off.reshape(off.size)[0]
    for a in range(outer):
        for j in range(depth):
            for c in range(inner):
                o3[a, j, c] = onv if i2[a, c] == j else offv
