"""CPU kernel of Assign (defined in ops/state.py): an in-place write into the Parameter's buffer, which
is also the node's value (no ``out`` argument)."""

from ...base import kernel


@kernel("Assign", "CPU")
def assign_kernel(param, value):
    pf = param.reshape(param.size)
    vf = value.reshape(value.size)
    for i in range(pf.size):
        pf[i] = vf[i]
