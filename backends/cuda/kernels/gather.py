"""GPU kernels of Gather, GatherGrad and OneHot (ops/gather_ops.py), over (outer, n, inner) views around
the indexed axis, as on the CPU.

Every index is checked before it is used as an address: an index outside [-n, n) writes error code 1
into ``err`` (the plan raises the op's message after the step) and its output is 0, never a read or
write out of bounds. GatherGrad is a scatter-add written as a gather (one thread per output element
sums the matching rows of d in index order), so it needs no atomics and adds in the CPU's order; it sums
in d's dtype (``cast_like``: float64 in float64, no float64 instruction in float32), as the CPU does.
"""

from numba import cuda

from ....ops.geometry import axis_split, prod
from ...base import kernel
from ..device import cast_like, dims, flat, same_dtype

_I32 = "int32[::1]"


@cuda.jit(cache=True)
def gather_kernel(params, idx, out, n, inner, err):
    """out[a, j, c] = params[a, idx[j] (+n if negative), c]."""
    m = idx.size
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        a, r = t // (m * inner), t % (m * inner)
        k = idx[r // inner]
        if k < 0:
            k += n
        if k < 0 or k >= n:
            err[0] = 1
            out[t] = 0
        else:
            out[t] = params[(a * n + k) * inner + r % inner]


@cuda.jit(cache=True)
def gather_grad_kernel(d, idx, out, n, inner, err):
    """out[a, k, c] = sum over j with idx[j] == k (negatives wrapped) of d[a, j, c], in j order."""
    m = idx.size
    zero = cast_like(out, 0)
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        a, r = t // (n * inner), t % (n * inner)
        k, c = r // inner, r % inner
        s = zero
        for j in range(m):
            q = idx[j]
            if q < -n or q >= n:
                err[0] = 1
            elif q == k or q + n == k:
                s += d[(a * m + j) * inner + c]
        out[t] = s


@cuda.jit(cache=True)
def one_hot_kernel(idx, on, off, out, depth, inner, check_range, err):
    """out[a, j, c] = on if idx[a, c] == j else off; with ``check_range`` an index outside [0, depth) is
    error 1 (indices are only compared, never used as addresses)."""
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        a, r = t // (depth * inner), t % (depth * inner)
        j, c = r // inner, r % inner
        v = idx[a * inner + c]
        if check_range and (v < 0 or v >= depth):
            err[0] = 1
        out[t] = on[0] if v == j else off[0]


def _gather_args(node):
    return axis_split(node.inputs[0].shape, node.attrs["axis"])


@kernel("Gather", "GPU", args=_gather_args)
def gather(params, indices, out, outer, n, inner, err):
    if out.size:
        gather_kernel[dims(out.size)](flat(params), flat(indices), flat(out), n, max(inner, 1), err)


@kernel("GatherGrad", "GPU", args=lambda node: axis_split(node.attrs["shape"], node.attrs["axis"]))
def gather_grad(d, indices, out, outer, n, inner, err):
    same_dtype("GatherGrad", d, out)
    if out.size:
        gather_grad_kernel[dims(out.size)](flat(d), flat(indices), flat(out), n, max(inner, 1), err)


def _one_hot_args(node):
    axis = node.attrs["axis"]
    shape = node.inputs[0].shape
    return (prod(shape[:axis]), node.attrs["depth"], prod(shape[axis:]), bool(node.attrs.get("check_range", False)))


@kernel("OneHot", "GPU", args=_one_hot_args)
def one_hot(indices, on, off, out, outer, depth, inner, check_range, err):
    if out.size:
        one_hot_kernel[dims(out.size)](flat(indices), flat(on), flat(off), flat(out), depth, max(inner, 1),
                                       check_range, err)


gather.errors = {1: "For 'Gather', an index is out of range [-params.shape[axis], params.shape[axis])"}
gather_grad.errors = {1: "For 'GatherGrad', an index is out of range [-params.shape[axis], params.shape[axis])"}
one_hot.errors = {1: "For 'OneHot', a label is out of range [0, num_classes)"}

PTX = [(gather_kernel, f"void(float32[::1], {_I32}, float32[::1], int64, int64, {_I32})"),
       (gather_grad_kernel, f"void(float32[::1], {_I32}, float32[::1], int64, int64, {_I32})"),
       (one_hot_kernel, f"void({_I32}, float32[::1], float32[::1], float32[::1], int64, int64, boolean, {_I32})")]
