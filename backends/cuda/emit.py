"""The GPU emitter: a ``Schedule`` becomes a generated Python ``step(P, X, C, B, I)`` that launches
device kernels on device arrays, one line per launch, in graph order.

``P`` are the bound Parameters' device arrays, ``X`` the host inputs (copied into the device input
buffers ``I``), ``C`` constants (device arrays of graph constants, kernel arguments, error-flag views),
``B`` the buffers (views into one device arena when memory planning is on). Elementwise, fused and
multi-tensor launches call kernels generated into this graph's module (``maps.py``); KERNEL/IN_PLACE
launches call the launchers registered with ``@kernel(op, "GPU")`` in ``kernels/``, which take a
1-element int32 error-flag array last (``err``): a kernel that finds a bad index writes a code there
instead of touching memory out of bounds, and the plan raises the error after the step (one small copy,
next to the outputs' copies). Only the outputs come back to the host.

float16 tensors are float16 device arrays. Generated kernels load them as float32 and round once per
store (``scalar.CudaNumbers``); the graph pass ``compute_in_float32`` (``backends/half_passes.py``) puts
every other arithmetic kernel between Casts, so hand-written kernels see float32, except the pure copies
of ``DATA_MOVEMENT``, which get uint16 views of float16 arrays. bfloat16 is refused.
"""

import functools

import numpy as np

from ...graph.opdef import OPS
from ..base import kernel_for
from ..codegen import StepText, out_buffer
from ..half_passes import DATA_MOVEMENT
from ..lower import LaunchKind
from .device import dims
from .maps import broadcast_map_source, fused_source, map_source, multi_tensor_source

# numba-cuda passes each array argument as ~7 machine words; CUDA's kernel-argument limit is 4 KB, so a
# multi-tensor launch takes at most this many arrays (tensors x slots) and larger groups are split.
MAX_LAUNCH_ARRAYS = 64


class StepSource(StepText):
    """Body lines, constants, generated kernels (text -> name), the launchers called and, per error-flag
    slot, the launch's node and launcher (to name the op whose kernel reported a bad index)."""

    def __init__(self):
        super().__init__()
        self.kernels = {}
        self.bodies = set()
        self.launchers = {}
        self.checks = []

    def kernel(self, text, used):
        if text not in self.kernels:
            self.kernels[text] = f"gk_{len(self.kernels)}"
            self.bodies.update(used)
        return self.kernels[text]

    def launch(self, name, n, args):
        g, b = dims(n)
        return f"{name}[{g}, {b}]({', '.join(args)})"


def _leaf(src, launch):
    n, v = launch.node, f"v{launch.node.id}"
    if launch.kind is LaunchKind.INPUT:
        return f"{v} = put(I[{n.index}], X[{n.index}])"
    if launch.kind is LaunchKind.PARAM:
        return f"{v} = P[{launch.param_index}]  # {n.param.name}"
    return f"{v} = {src.const(('device', np.ascontiguousarray(n.value, dtype=n.dtype)))}"


def _map(src, launch, ins):
    n = launch.node
    out = out_buffer(src, launch, ins)
    if launch.modes == "b":
        shape, strides = tuple(n.shape) or (1,), [tuple(s) or (0,) for s in launch.strides]  # (0-d: one element)
        name = src.kernel(*broadcast_map_source(n, "KERNEL"))
        args = [f"flat({out[0]})"]
        for v, st in zip(ins, strides):
            args += [f"flat({v})", repr(tuple(int(x) for x in st))]
        return src.launch(name, n.size, args + [repr(tuple(int(x) for x in shape))]) + f"  # {n.op}"
    name = src.kernel(*map_source(n, launch.modes, "KERNEL"))
    return src.launch(name, n.size, [f"flat({v})" for v in out + ins]) + f"  # {n.op}"


def _fused(src, launch, ins):
    n = launch.node
    name = src.kernel(*fused_source(n, "KERNEL"))
    size = int(np.prod(n.attrs["shape"], dtype=np.int64))
    return src.launch(name, size, [f"flat({v})" for v in out_buffer(src, launch, ins) + ins]) + f"  # {n.attrs['ops']}"


def _multi_tensor(src, launch, ins):
    n = launch.node
    name = src.kernel(*multi_tensor_source(n, "KERNEL"))
    arity, tensors = n.attrs["arity"], n.attrs["tensors"]
    src.var[n.id] = ins[launch.alias]
    group = max(1, MAX_LAUNCH_ARRAYS // arity)
    lines = []
    for t0 in range(0, tensors, group):
        ts = range(t0, min(tensors, t0 + group))
        slots = [f"({''.join(f'flat({ins[t * arity + k]}), ' for t in ts)})" for k in range(arity)]
        size = max(n.inputs[t * arity + n.attrs["full"].index(True)].size for t in ts)
        lines.append(src.launch(name, size, slots))
    return "; ".join(lines) + f"  # {tensors} x {n.attrs['ops']}"


def _kernel(src, launch, ins):
    n = launch.node
    spec = kernel_for(n.op, "GPU")
    src.launchers[f"k_{n.op}"] = spec.fn
    out = out_buffer(src, launch, ins)
    if n.op in DATA_MOVEMENT:  # (float16 reaches no other hand-written kernel: ``compute_in_float32``)
        ins = [_bits(src, v, i.dtype) for v, i in zip(ins, n.inputs)]
        out = [_bits(src, v, n.dtype) for v in out]
    err = src.const(("error", len(src.checks)))
    src.checks.append((n, spec.fn))
    return f"k_{n.op}({', '.join(ins + out + [src.arg(a) for a in spec.run_args(n)] + [err])})"


def _bits(src, text, dtype):
    """A float16 device array as its uint16 view (a data-movement kernel copies bit patterns, as on the
    CPU, and is compiled for integers only); any other array as it is."""
    return f"{text}.view({src.const(np.dtype(np.uint16))})" if np.dtype(dtype) == np.float16 else text


def _host(src, launch, ins):
    """A host call: the op's numpy reference (attrs bound) on host copies; the result goes back to the device."""
    n = launch.node
    call = src.const(functools.partial(OPS[n.op].reference, **n.attrs))
    args = ", ".join(f"{v}.copy_to_host()" for v in ins)
    out = out_buffer(src, launch, ins)
    return f"{call}({args})" if not out else f"put({out[0]}, {call}({args}))"


def _view(src, launch, ins):
    return f"v{launch.node.id} = {ins[0]}.reshape({tuple(launch.node.shape)!r})"


_EMIT = {LaunchKind.VIEW: _view, LaunchKind.MAP: _map, LaunchKind.KERNEL: _kernel, LaunchKind.IN_PLACE: _kernel,
         LaunchKind.FUSED: _fused, LaunchKind.MULTI_TENSOR: _multi_tensor, LaunchKind.HOST: _host}


def step_source(schedule):
    """The StepSource of ``schedule``; its lines end with the return of the outputs' host copies."""
    src = StepSource()
    for launch in schedule.launches:
        n = launch.node
        if any(d.name == "bfloat16" for d in [n.dtype] + [i.dtype for i in n.inputs]):
            raise NotImplementedError(f"the GPU target does not run bfloat16 (%{n.id} {n.op} reads or writes it); "
                                      f"float16 runs")
        src.var[n.id] = f"v{n.id}"
        if launch.kind in (LaunchKind.INPUT, LaunchKind.PARAM, LaunchKind.CONST):
            src.lines.append(f"    {_leaf(src, launch)}")
            continue
        src.lines.append(f"    # %{n.id} {n.op}  {n.scope}  {n.location()}".rstrip())
        src.lines.append(f"    {_EMIT[launch.kind](src, launch, [src.var[i] for i in launch.inputs])}")
    outs = ", ".join(f"{src.var[o.id]}.copy_to_host()" for o in schedule.graph.outputs)
    src.lines.append(f"    return [{outs}]")
    return src
