"""CPU source for FusedElementwise and MultiTensorFused kernels: the shared per-element program
(``backends/codegen.py``) inside the CPU's map loop, calling each member op's scalar body from the
kernel library and storing results into Parameters in place.

16-bit floats (float16, bfloat16) are uint16 bit patterns in the CPU's arrays: the program loads one
as a float32 (``h2f``), computes in float32, rounds each 16-bit result to 16-bit precision (``h16``,
kept as a float32) and stores its bits (``f2h``): what numpy does for a float16 ufunc, and each
intermediate rounded to its own dtype as in the unfused graph. An elementwise op touching a 16-bit float
runs as a one-instruction program of this kind (``map_kernel_source``): the shared kernel library keeps
its map templates for the dtypes numba knows.

Kernels with identical text (e.g. the same optimizer update for every parameter) are shared.
"""

import numpy as np

from ...graph.opdef import OPS
from ..codegen import Numbers, program_body
from .f16 import helpers
from .kernel_library import map_loop


class CpuNumbers(Numbers):
    """16-bit floats: loaded through their load helper, rounded with their round helper, stored as bits.

    A 16-bit result is computed in float32, as numpy computes a float16 ufunc (a scalar body's Python
    float literals make numba compute in float64: its result is rounded to float32 first), unless an
    operand is float64 (a Cast from float64), whose value is rounded to 16 bits directly."""

    def load(self, dtype, text):
        names = helpers(dtype)
        return f"{names[0]}({text})" if names else text

    def round(self, dtype, text, operand_dtypes=()):
        names = helpers(dtype)
        if not names:
            return super().round(dtype, text, operand_dtypes)
        if not any(d == np.float64 for d in operand_dtypes):
            text = f"np.float32({text})"
        return f"{names[2]}({text})"

    def store(self, dtype, text):
        names = helpers(dtype)
        return f"{names[1]}({text})" if names else text


NUMBERS = CpuNumbers()


def _program_kernel(name, attrs, in_dtypes, full, out_dtype, parallel):
    """(source of ``name(out?, a0, a1, ...)`` running ``attrs``' program over flat inputs, scalar bodies);
    ``out_dtype`` is None when the program only stores in place."""
    has_out = out_dtype is not None
    args = (["out"] if has_out else []) + [f"a{k}" for k in range(len(full))]
    lines = [f"def {name}({', '.join(args)}):"]
    for k, is_full in enumerate(full):
        lines.append(f"    x{k} = a{k}.reshape(a{k}.size)" + ("" if is_full else "[0]"))
    if has_out:
        lines.append("    o = out.reshape(out.size)")
    body, bodies = program_body(attrs, full, in_dtypes, NUMBERS)
    if has_out:
        result = f"t{attrs['result']}"
        body.append(f"o[i] = {NUMBERS.store(out_dtype, result)}")
    lines += map_loop("o.size" if has_out else f"x{full.index(True)}.size", body, parallel)
    return "\n".join(lines) + "\n", bodies


def fused_kernel_source(node, name, parallel=False):
    """(source of a kernel ``name(out?, a0, a1, ...)``, names of scalar bodies it calls)."""
    attrs = node.attrs
    size = int(np.prod(attrs["shape"], dtype=np.int64))
    out_dtype = node.dtype if attrs["result"] is not None else None
    return _program_kernel(name, attrs, [i.dtype for i in node.inputs], [i.size == size for i in node.inputs],
                           out_dtype, parallel)


def map_kernel_source(node, modes, name, parallel=False):
    """The elementwise ``node`` as a one-instruction program: (source of ``name(out, a0, ...)``, bodies).
    ``modes`` (from the schedule) says which inputs are full-size ('f') or one element ('s')."""
    if len(modes) != len(node.inputs) or set(modes) - set("fs"):
        raise NotImplementedError(f"%{node.id} {node.op}: a generated map kernel reads inputs full-size or as one "
                                  f"element, not {modes!r} (the CPU passes materialise broadcasts)")
    step = (node.op, tuple(("i", k) for k in range(len(node.inputs))),
            tuple(node.attrs[a] for a in OPS[node.op].scalar_attrs), node.dtype.name)
    attrs = {"program": (step,), "stores": (), "result": 0}
    return _program_kernel(name, attrs, [i.dtype for i in node.inputs], [m == "f" for m in modes], node.dtype,
                           parallel)


def multi_tensor_kernel_source(node, name, parallel=False):
    """(source of ``name(s0, s1, ...)``, scalar bodies): each argument is a tuple, over the tensors, of
    1-D arrays for one input slot; the loop over tensors runs the per-element program of each."""
    attrs = node.attrs
    arity, full = attrs["arity"], attrs["full"]
    lines = [f"def {name}({', '.join(f's{k}' for k in range(arity))}):", "    for t in range(len(s0)):"]
    for k in range(arity):
        lines.append(f"        x{k} = s{k}[t]" + ("" if full[k] else "[0]"))
    body, bodies = program_body(attrs, full, [i.dtype for i in node.inputs[:arity]], NUMBERS)
    lines += map_loop(f"x{full.index(True)}.size", body, parallel, indent="        ")
    return "\n".join(lines) + "\n", bodies
