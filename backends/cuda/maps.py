"""CUDA source of the generated kernels: elementwise maps (an op's scalar body over flat arrays),
FusedElementwise programs and MultiTensorFused programs (the per-element statements shared by every
code-generating target, ``backends/codegen.program_body``).

Each kernel loops grid-stride over flat 1-D arrays (the launch shape never changes the numbers). An
input read as one element ('s') is passed as a 1-element device array and read once per thread, so a
scalar that lives on the device (the learning rate, Adam's beta powers) never comes back to the host.
A broadcast map ('b') walks each input through its broadcast strides (``lower._map_modes``), passed as
tuples of ints. In-place stores of a fused program write the Parameter's own device array. A float16 element is
loaded as float32, computed on in float32 and rounded once to float16 (``scalar.CudaNumbers``).
"""

import numpy as np

from ...graph.opdef import OPS
from ..codegen import literal, program_body
from .scalar import NUMBERS

KERNEL_FN = "@cuda.jit(cache=True)\n"
_LOOP = "for i in range(cuda.grid(1), {n}, cuda.gridsize(1)):"


def _program(name, attrs, in_dtypes, full, out_dtype):
    """(source of ``name(out?, a0, a1, ...)`` running ``attrs``' program, scalar bodies it calls)."""
    has_out = out_dtype is not None
    args = (["out"] if has_out else []) + [f"a{k}" for k in range(len(full))]
    lines = [f"def {name}({', '.join(args)}):"]
    lines += [f"    x{k} = a{k}" + ("" if is_full else "[0]") for k, is_full in enumerate(full)]
    body, bodies = program_body(attrs, full, in_dtypes, NUMBERS)
    if has_out:
        body.append(f"out[i] = {NUMBERS.store(out_dtype, 't' + str(attrs['result']))}")
    lines.append("    " + _LOOP.format(n="out.size" if has_out else f"x{full.index(True)}.size"))
    lines += [f"        {b}" for b in body]
    return KERNEL_FN + "\n".join(lines) + "\n", bodies


def fused_source(node, name):
    """A FusedElementwise node's kernel ``name(out?, a0, ...)`` over flat arrays, and its scalar bodies."""
    attrs = node.attrs
    size = int(np.prod(attrs["shape"], dtype=np.int64))
    out_dtype = node.dtype if attrs["result"] is not None else None
    return _program(name, attrs, [i.dtype for i in node.inputs], [i.size == size for i in node.inputs], out_dtype)


def map_source(node, modes, name):
    """An elementwise node's kernel ``name(out, a0, ...)`` (modes 'f'/'s' per input), and its scalar body."""
    step = (node.op, tuple(("i", k) for k in range(len(node.inputs))),
            tuple(node.attrs[a] for a in OPS[node.op].scalar_attrs), node.dtype.name)
    attrs = {"program": (step,), "stores": (), "result": 0}
    return _program(name, attrs, [i.dtype for i in node.inputs], [m == "f" for m in modes], node.dtype)


def broadcast_map_source(node, name):
    """An elementwise node whose inputs broadcast: ``name(out, a0, st0, a1, st1, ..., shape)``; input k's
    element for flat output index i is a{k}[sum_d idx_d(i) * st{k}[d]] (its broadcast strides)."""
    arity = len(node.inputs)
    args = [f"a{k}, st{k}" for k in range(arity)]
    operands = [NUMBERS.load(i.dtype, f"a{k}[p{k}]") for k, i in enumerate(node.inputs)]
    operands += [literal(node.attrs[a]) for a in OPS[node.op].scalar_attrs]
    call = NUMBERS.round(node.dtype, f"_s_{node.op}({', '.join(operands)})", [i.dtype for i in node.inputs])
    lines = [f"def {name}(out, {', '.join(args)}, shape):", "    " + _LOOP.format(n="out.size"), "        r = i"]
    lines += [f"        p{k} = 0" for k in range(arity)]
    lines += ["        for d in range(len(shape) - 1, -1, -1):", "            c = r % shape[d]",
              "            r //= shape[d]"]
    lines += [f"            p{k} += c * st{k}[d]" for k in range(arity)]
    lines.append(f"        out[i] = {NUMBERS.store(node.dtype, call)}")
    return KERNEL_FN + "\n".join(lines) + "\n", {f"_s_{node.op}"}


def multi_tensor_source(node, name):
    """A MultiTensorFused node's kernel ``name(s0, s1, ...)``: argument k is a tuple, over the tensors, of
    flat device arrays for input slot k; one launch runs the per-element program over every tensor."""
    attrs = node.attrs
    arity, full = attrs["arity"], attrs["full"]
    lines = [f"def {name}({', '.join(f's{k}' for k in range(arity))}):", "    for t in range(len(s0)):"]
    lines += [f"        x{k} = s{k}[t]" + ("" if full[k] else "[0]") for k in range(arity)]
    body, bodies = program_body(attrs, full, [i.dtype for i in node.inputs[:arity]], NUMBERS)
    lines.append("        " + _LOOP.format(n=f"x{full.index(True)}.size"))
    lines += [f"            {b}" for b in body]
    return KERNEL_FN + "\n".join(lines) + "\n", bodies
