"""CPU source for FusedElementwise and MultiTensorFused kernels: the shared per-element program
(``backends/codegen.py``) inside the CPU's map loop, calling each member op's scalar body from the
kernel library and storing results into Parameters in place.

Kernels with identical text (e.g. the same optimizer update for every parameter) are shared.
"""

import numpy as np

from ..codegen import program_body
from .kernel_library import map_loop


def fused_kernel_source(node, name, parallel=False):
    """(source of a kernel ``name(out?, a0, a1, ...)``, names of scalar bodies it calls)."""
    attrs = node.attrs
    size = int(np.prod(attrs["shape"], dtype=np.int64))
    has_out = attrs["result"] is not None
    args = (["out"] if has_out else []) + [f"a{k}" for k in range(len(node.inputs))]
    lines = [f"def {name}({', '.join(args)}):"]
    full = [i.size == size for i in node.inputs]
    for k, is_full in enumerate(full):
        lines.append(f"    x{k} = a{k}.reshape(a{k}.size)" + ("" if is_full else "[0]"))
    if has_out:
        lines.append("    o = out.reshape(out.size)")
    body, bodies = program_body(attrs, full)
    if has_out:
        body.append(f"o[i] = t{attrs['result']}")
    lines += map_loop("o.size" if has_out else f"x{full.index(True)}.size", body, parallel)
    return "\n".join(lines) + "\n", bodies


def multi_tensor_kernel_source(node, name, parallel=False):
    """(source of ``name(s0, s1, ...)``, scalar bodies): each argument is a tuple, over the tensors, of
    1-D arrays for one input slot; the loop over tensors runs the per-element program of each."""
    attrs = node.attrs
    arity, full = attrs["arity"], attrs["full"]
    lines = [f"def {name}({', '.join(f's{k}' for k in range(arity))}):", "    for t in range(len(s0)):"]
    for k in range(arity):
        lines.append(f"        x{k} = s{k}[t]" + ("" if full[k] else "[0]"))
    body, bodies = program_body(attrs, full)
    lines += map_loop(f"x{full.index(True)}.size", body, parallel, indent="        ")
    return "\n".join(lines) + "\n", bodies
