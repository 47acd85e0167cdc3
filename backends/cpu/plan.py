"""Lowering a graph to a CPU plan: a generated Python module whose ``step`` calls cached library
kernels on preallocated buffers, in graph order.

Each buffer is allocated once per compiled plan; reshapes are views; ``Assign`` writes into the
Parameter's own array, so a training step updates parameters in place. Outputs are copied out
because the buffers are reused by the next call.
"""

import hashlib

import numpy as np

from ...graph.opdef import OPS, OpKind, output_alias
from ...graph.passes.memory_plan import plan_memory
from ..base import kernel_for
from .fused_codegen import fused_kernel_source, multi_tensor_kernel_source
from .kernel_library import cached_module

PLAN_VERSION = 1


def _strides(shape):
    st = np.ones(len(shape), np.int64)
    for d in range(len(shape) - 2, -1, -1):
        st[d] = st[d + 1] * shape[d + 1]
    return st


def _broadcast_strides(in_shape, out_shape):
    lead = len(out_shape) - len(in_shape)
    st = np.zeros(len(out_shape), np.int64)
    own = _strides(in_shape)
    for d, s in enumerate(in_shape):
        st[d + lead] = 0 if (s == 1 and out_shape[d + lead] != 1) else own[d]
    return st


def _kernel(name):
    """(function name in the library, args(node) -> tuple) of op ``name``'s CPU kernel; raises
    MissingKernelError ("op 'X' has no kernel for CPU (has: ...)") when it has none."""
    op = OPS[name]
    if op.cpu is not None:  # TEMPORARY slot (DropoutMask) until its kernel is registered in kernels/
        return op.cpu.__name__, (lambda n: tuple(op.kernel_args(n)) if op.kernel_args else ())
    spec = kernel_for(name, "CPU")
    return spec.fn.__name__, spec.run_args


class CpuPlan:
    """An executable step: ``run(param_arrays, input_arrays) -> list of output arrays``.

    ``arena_bytes`` is the memory the step's buffers take (one arena when memory planning is on),
    ``buffer_bytes`` what they would take with one allocation each.
    """

    def __init__(self, graph, source, step, consts, buffers, module_path, memory):
        self.graph = graph
        self.source = source
        self.module_path = module_path
        self._step = step
        self._consts = consts
        self._buffers = buffers
        self.memory = memory
        self.buffer_bytes = sum(b.nbytes for b in buffers)
        self.arena_bytes = memory.arena_bytes if memory is not None else self.buffer_bytes

    def run(self, params, inputs):
        return self._step(params, inputs, self._consts, self._buffers)

    def jit_stats(self):
        """(numba compiles, numba cache loads) so far of the kernels this plan calls."""
        compiled = loaded = 0
        for fn in self._kernels:
            stats = getattr(fn, "stats", None)
            if stats is not None:
                compiled += sum(stats.cache_misses.values())
                loaded += sum(stats.cache_hits.values())
        return compiled, loaded


def needs_buffer(node):
    """Whether the plan allocates a fresh buffer for ``node`` (not leaves, views or in-place results)."""
    return not node.is_leaf and not OPS[node.op].view and output_alias(node) is None


def alias_of(node):
    """The node whose storage ``node`` shares (views: input 0; in-place ops: the written input)."""
    if node.is_leaf:
        return None
    if OPS[node.op].view:
        return node.inputs[0]
    target = output_alias(node)
    return None if target is None else node.inputs[target]


def allocate(graph, nodes_with_buffers, planned):
    """Buffers for ``nodes_with_buffers`` (in order): views into one planned arena, or one array each."""
    if not planned:
        return [np.empty(n.shape, n.dtype) for n in nodes_with_buffers], None
    memory = plan_memory(graph, needs_buffer, alias_of)
    arena = np.empty(memory.arena_bytes, np.uint8)
    buffers = []
    for n in nodes_with_buffers:
        nbytes = n.size * n.dtype.itemsize
        start = memory.offsets[n.id]
        buffers.append(arena[start:start + nbytes].view(n.dtype).reshape(n.shape))
    return buffers, memory


def generate(graph, lib, parallel=False):
    """Return (step body, fused kernel sources, scalar bodies they call, consts, nodes needing buffers)."""
    consts, buffers = [], []
    lines = []
    fused_sources, fused_names, bodies = [], {}, set()
    var = {}
    param_index = {id(n): i for i, n in enumerate(graph.params)}

    def const(value):
        consts.append(value)
        return f"C[{len(consts) - 1}]"

    def fused_kernel(text, used):
        """The name of the generated kernel with this text (kernels with the same text are shared)."""
        if text not in fused_names:
            fused_names[text] = f"fused_{len(fused_names)}"
            fused_sources.append(f"@njit(cache=True, error_model='numpy', parallel={parallel})\n" +
                                 text.replace("KERNEL", fused_names[text], 1))
            bodies.update(used)
        return fused_names[text]

    def literal(a):
        if isinstance(a, (bool, np.bool_)):
            return repr(bool(a))
        if isinstance(a, (int, np.integer)):
            return repr(int(a))
        if isinstance(a, (float, np.floating)) and np.isfinite(a):
            return repr(float(a))
        if isinstance(a, tuple) and all(isinstance(v, (int, np.integer)) for v in a):
            return repr(tuple(int(v) for v in a))
        return const(a)

    for n in graph.nodes:
        v = f"v{n.id}"
        var[n.id] = v
        if n.op == "input":
            lines.append(f"    {v} = X[{n.index}]")
            continue
        if n.op == "param":
            lines.append(f"    {v} = P[{param_index[id(n)]}]  # {n.param.name}")
            continue
        if n.op == "const":
            lines.append(f"    {v} = {const(n.value)}")
            continue
        op = OPS[n.op]
        ins = [var[i.id] for i in n.inputs]
        lines.append(f"    # %{n.id} {n.op}  {n.scope}  {n.location()}".rstrip())
        if op.view:
            lines.append(f"    {v} = {ins[0]}.reshape({tuple(n.shape)!r})")
            continue
        if op.kind is OpKind.MULTI_TENSOR:
            name = fused_kernel(*multi_tensor_kernel_source(n, "KERNEL", parallel))
            arity = n.attrs["arity"]
            # one tuple per input slot, of flat views (one array type per slot, whatever the tensors' ranks)
            slots = [f"({''.join(f'{ins[t * arity + k]}.reshape(-1), ' for t in range(n.attrs['tensors']))})"
                     for k in range(arity)]
            lines.append(f"    {name}({', '.join(slots)})  # {n.attrs['tensors']} x {n.attrs['ops']}")
            var[n.id] = ins[output_alias(n)]
            continue
        if op.kind is OpKind.FUSED:
            name = fused_kernel(*fused_kernel_source(n, "KERNEL", parallel))
            call_args = list(ins)
            target = output_alias(n)
            if target is None:
                buffers.append(n)
                lines.append(f"    {v} = B[{len(buffers) - 1}]")
                call_args = [v] + call_args
            else:
                var[n.id] = ins[target]
            lines.append(f"    {name}({', '.join(call_args)})  # {n.attrs['ops']}")
            continue
        target = output_alias(n)
        if target is not None:
            extra = [literal(a) for a in _kernel(n.op)[1](n)]
            lines.append(f"    k_{n.op}({', '.join(ins + extra)})")
            var[n.id] = ins[target]
            continue
        buffers.append(n)
        lines.append(f"    {v} = B[{len(buffers) - 1}]")
        if op.scalar is not None:
            attrs = [literal(n.attrs[a]) for a in op.scalar_attrs]
            modes = ["f" if i.shape == n.shape else "s" if i.size == 1 else "b" for i in n.inputs]
            if "b" in modes or "f" not in modes:
                args = []
                for i, name in zip(n.inputs, ins):
                    args += [name, const(_broadcast_strides(i.shape, n.shape))]
                call = f"ew_{n.op}_b({v}, {', '.join(args + attrs)}, {const(np.array(n.shape, np.int64))})"
            else:
                call = f"ew_{n.op}_{''.join(modes)}({v}, {', '.join(ins + attrs)})"
        else:
            extra = [literal(a) for a in _kernel(n.op)[1](n)]
            call = f"k_{n.op}({', '.join(ins + [v] + extra)})"
        lines.append(f"    {call}")
    outs = ", ".join(f"{var[o.id]}.copy()" for o in graph.outputs)
    lines.append(f"    return [{outs}]")
    return "\n".join(lines), fused_sources, bodies, consts, buffers


def _fused_module(fused_sources, bodies, lib, cache_dir):
    """The graph's fused kernels in their own module, named by a hash of their text only: graphs that
    differ in shapes (a new batch size) share it, and so share numba's cached machine code."""
    fused = "\n\n".join(fused_sources)
    digest = hashlib.sha256(f"{PLAN_VERSION}|{lib.__name__}|{fused}".encode()).hexdigest()[:16]
    imports = "".join(f"{b} = _lib.{b}\n" for b in sorted(bodies))
    source = (f'"""minispore fused kernels (generated; do not edit). {digest}, kernels {lib.__name__}"""\n'
              f"import math  # noqa: F401\nimport sys\n\nimport numpy as np  # noqa: F401\n"
              f"from numba import njit, prange  # noqa: F401\n\n"
              f"_lib = sys.modules[{lib.__name__!r}]\nPARALLEL_MIN = _lib.PARALLEL_MIN\n{imports}\n\n{fused}\n")
    return cached_module(cache_dir, "fused", digest, source)[0], source


def lower(graph, lib, cache_dir, plan_memory_on=True, parallel=False):
    body, fused_sources, bodies, consts, buffer_nodes = generate(graph, lib, parallel)
    buffers, memory = allocate(graph, buffer_nodes, plan_memory_on)
    fused_mod, fused_source = _fused_module(fused_sources, bodies, lib, cache_dir)
    kernel_names = sorted({f"k_{n.op}" for n in graph.nodes if not n.is_leaf and OPS[n.op].kind is OpKind.KERNEL})
    imports = "".join(f"{k} = _lib.{_kernel(k[2:])[0]}\n" for k in kernel_names)
    imports += "".join(f"fused_{i} = _fused.fused_{i}\n" for i in range(len(fused_sources)))
    digest = hashlib.sha256(f"{PLAN_VERSION}|{lib.__name__}|{fused_mod.__name__}|{body}".encode()).hexdigest()[:16]
    source = (f'"""minispore plan for graph {graph.name!r} (generated; do not edit). plan {digest}, '
              f'kernels {lib.__name__}, fused kernels {fused_mod.__name__}"""\nimport sys\n\n'
              f"_lib = sys.modules[{lib.__name__!r}]\n_fused = sys.modules[{fused_mod.__name__!r}]\n"
              f"from {lib.__name__} import *  # noqa: F403\n{imports}\n\n"
              f"def step(P, X, C, B):\n{body}\n")
    mod, path = cached_module(cache_dir, "plan", digest, source)
    plan = CpuPlan(graph, source + "\n\n# ---- fused kernels ----\n" + fused_source, mod.step, consts, buffers,
                   path, memory)
    plan._kernels = [v for k, v in vars(mod).items() if k.startswith(("k_", "ew_", "fused_")) and callable(v)]
    return plan
