"""The CPU emitter: a ``Schedule`` becomes a generated Python ``step(P, X, C, B)`` that calls cached
library kernels on preallocated buffers, one line per launch, in graph order.

``P`` are the bound Parameter arrays, ``X`` the inputs, ``C`` constants, ``B`` the buffers (views into
one arena when memory planning is on). Reshapes are views; in-place launches write into the
Parameter's own array, so a training step updates parameters in place. Outputs are copied out
because the buffers are reused by the next call.

16-bit floats (float16, bfloat16) are uint16 bit patterns everywhere in the step (``f16.py``): the step
views its 16-bit inputs and constants as uint16, the plan binds 16-bit Parameters as uint16 views and its
buffers hold uint16, and the step views 16-bit outputs back. An elementwise op touching one runs as a
generated one-instruction program (``fused_codegen.map_kernel_source``); host calls see the real dtype.
"""

import functools

import numpy as np

from ...graph.opdef import OPS
from ..base import kernel_for
from ..codegen import StepText, out_buffer
from ..lower import LaunchKind
from .f16 import is_half, to_storage, touches_half
from .fused_codegen import fused_kernel_source, map_kernel_source, multi_tensor_kernel_source


class StepSource(StepText):
    """The pieces of a generated step: body lines, constants, fused kernels and the library kernels
    it calls; ``lines_of`` maps a body line number to the node it runs (for run-time errors)."""

    def __init__(self, parallel):
        super().__init__()
        self.parallel = parallel
        self.fused_sources = []
        self.fused_names = {}
        self.bodies = set()
        self.kernels = {}  # name in the step -> library function name
        self.node_of_line = {}

    def fused_kernel(self, text, used):
        """The name of the generated kernel with this text (kernels with the same text are shared)."""
        if text not in self.fused_names:
            name = self.fused_names[text] = f"fused_{len(self.fused_names)}"
            self.fused_sources.append(f"@njit(cache=True, error_model='numpy', parallel={self.parallel})\n" +
                                      text.replace("KERNEL", name, 1))
            self.bodies.update(used)
        return self.fused_names[text]

    def emit(self, launch, line):
        self.node_of_line[len(self.lines) + 1] = launch.node  # (line numbers of the body, from 1)
        self.lines.append(f"    {line}")


def _leaf(src, launch):
    n, v = launch.node, f"v{launch.node.id}"
    if launch.kind is LaunchKind.INPUT:
        return f"{v} = X[{n.index}]" + (".view(np.uint16)" if is_half(n.dtype) else "")
    if launch.kind is LaunchKind.PARAM:
        return f"{v} = P[{launch.param_index}]  # {n.param.name}"  # (16-bit: bound as a uint16 view)
    return f"{v} = {src.const(to_storage(np.asarray(n.value)))}"


def _map(src, launch, ins):
    n = launch.node
    if touches_half(n):
        name = src.fused_kernel(*map_kernel_source(n, launch.modes, "KERNEL", src.parallel))
        return f"{name}({', '.join(out_buffer(src, launch, ins) + ins)})  # {n.op}"
    out = out_buffer(src, launch, ins)
    from_attrs = [src.arg(n.attrs[a]) for a in OPS[n.op].scalar_attrs]
    if launch.modes == "b":
        args = []
        for name, strides in zip(ins, launch.strides):
            args += [name, src.const(strides)]
        return f"ew_{n.op}_b({', '.join(out + args + from_attrs)}, {src.const(np.array(n.shape, np.int64))})"
    return f"ew_{n.op}_{launch.modes}({', '.join(out + ins + from_attrs)})"


# Data formats that only one target's kernels compute in (Ascend's blocked layouts: its package registers
# them here): a node whose ``data_format`` attr names one runs that target's kernel, every other node the
# CPU's. Such a kernel is named by its function in the step (Conv2D may have two kernels in one graph).
FORMAT_TARGETS = {}


def kernel_target(node):
    """The target whose kernel runs ``node`` ("CPU" unless its data_format is in FORMAT_TARGETS)."""
    return FORMAT_TARGETS.get(node.attrs.get("data_format"), "CPU")


def _kernel(src, launch, ins):
    n = launch.node
    target = kernel_target(n)
    spec = kernel_for(n.op, target)
    if spec.host:  # plain Python (a constant of the step), given its compiled helpers from the library first
        helpers = [h.__name__ for h in spec.helpers]
        args = [src.arg(a) for a in spec.run_args(n)]
        return f"{src.const(spec.fn)}({', '.join(helpers + ins + out_buffer(src, launch, ins) + args)})  # {n.op}"
    name = f"k_{n.op}" if target == "CPU" else f"k_{spec.fn.__name__}"
    src.kernels[name] = spec.fn.__name__
    out = out_buffer(src, launch, ins)
    # in-place kernels take their inputs only; others take (inputs, out)
    return f"{name}({', '.join(ins + out + [src.arg(a) for a in spec.run_args(n)])})"


def _fused(src, launch, ins):
    n = launch.node
    name = src.fused_kernel(*fused_kernel_source(n, "KERNEL", src.parallel))
    return f"{name}({', '.join(out_buffer(src, launch, ins) + ins)})  # {n.attrs['ops']}"


def _multi_tensor(src, launch, ins):
    n = launch.node
    name = src.fused_kernel(*multi_tensor_kernel_source(n, "KERNEL", src.parallel))
    arity, tensors = n.attrs["arity"], n.attrs["tensors"]
    # one tuple per input slot, of flat views (one array type per slot, whatever the tensors' ranks)
    slots = [f"({''.join(f'{ins[t * arity + k]}.reshape(-1), ' for t in range(tensors))})" for k in range(arity)]
    src.var[n.id] = ins[launch.alias]
    return f"{name}({', '.join(slots)})  # {tensors} x {n.attrs['ops']}"


def _as_dtype(src, text, dtype):
    """``text`` (a step array) as ``dtype``: a view of the uint16 bits of a 16-bit float array."""
    return f"{text}.view({src.const(dtype)})" if is_half(dtype) else text


def _host(src, launch, ins):
    """A host call: the op's numpy reference (with the node's attrs bound) on the step's arrays."""
    n = launch.node
    call = src.const(functools.partial(OPS[n.op].reference, **n.attrs))
    args = ", ".join(_as_dtype(src, v, i.dtype) for v, i in zip(ins, n.inputs))
    out = out_buffer(src, launch, ins)
    return f"{call}({args})" if not out else f"np.copyto({_as_dtype(src, out[0], n.dtype)}, {call}({args}))"


def _view(src, launch, ins):
    return f"v{launch.node.id} = {ins[0]}.reshape({tuple(launch.node.shape)!r})"


_EMIT = {LaunchKind.VIEW: _view, LaunchKind.MAP: _map, LaunchKind.KERNEL: _kernel, LaunchKind.IN_PLACE: _kernel,
         LaunchKind.FUSED: _fused, LaunchKind.MULTI_TENSOR: _multi_tensor, LaunchKind.HOST: _host}


def step_source(schedule, parallel=False):
    """The StepSource of ``schedule``: its ``lines`` end with the return of copied outputs."""
    src = StepSource(parallel)
    for launch in schedule.launches:
        n = launch.node
        src.var[n.id] = f"v{n.id}"
        if launch.kind in (LaunchKind.INPUT, LaunchKind.PARAM, LaunchKind.CONST):
            src.lines.append(f"    {_leaf(src, launch)}")
            continue
        emit = _EMIT.get(launch.kind)
        if emit is None:
            raise NotImplementedError(f"the CPU target cannot run a {launch.kind.value} launch (%{n.id} {n.op})")
        src.lines.append(f"    # %{n.id} {n.op}  {n.scope}  {n.location()}".rstrip())
        src.emit(launch, emit(src, launch, [src.var[i] for i in launch.inputs]))
    outs = ", ".join(_as_dtype(src, f"{src.var[o.id]}.copy()", o.dtype) for o in schedule.graph.outputs)
    src.lines.append(f"    return [{outs}]")
    return src
