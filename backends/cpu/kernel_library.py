"""The CPU kernel library: one generated Python module holding every op's kernel.

Elementwise ops contribute their scalar body, compiled inside map templates (one per input
layout: each input either full-size 'f', a single element 's', or broadcast through strides 'b');
other ops contribute the plain-Python kernel and helpers registered for them in ``kernels/``
(``@kernel(op, "CPU")``). Everything is jitted with ``@njit(cache=True, error_model='numpy')``. The
module is written atomically to the compile cache under a name hashed from its own source and numba's
version, so numba's on-disk cache (which only checks the function's own file) can never serve a
kernel from an older library.
"""

import ast
import hashlib
import inspect
import itertools
import re
import textwrap

from ..base import kernels_of

GENERATOR_VERSION = 1
_HEADER = '''"""minispore CPU kernel library (generated; do not edit). {digest}"""
import math

import numpy as np
from numba import njit, prange

_JIT = dict(cache=True, error_model="numpy")
# Elementwise maps: parallel=True only in the opt-in parallel library (set_context(cpu_parallel=True)),
# where loops over at least PARALLEL_MIN elements use prange. Elementwise results do not depend on
# the iteration order, so parallel and serial plans give identical numbers.
_EW_JIT = dict(cache=True, error_model="numpy", parallel={parallel})
PARALLEL_MIN = {parallel_min}
'''


def _source(fn, new_name=None):
    src = textwrap.dedent(inspect.getsource(fn))
    if src.startswith("@"):  # a registered kernel: drop its @kernel(...) lines (the library adds its own @njit)
        src = "".join(src.splitlines(keepends=True)[ast.parse(src).body[0].lineno - 1:])
    if not src.startswith("def "):
        raise ValueError(f"kernel {fn.__qualname__} must be a plain top-level function")
    if new_name:
        src = re.sub(r"^def\s+\w+\(", f"def {new_name}(", src, count=1)
    return src


PARALLEL_MIN = 1 << 15  # elements: below this a parallel region costs more than it saves


def map_loop(n, body, parallel, indent="    "):
    """Source lines of ``for i in range(n): body`` (a list of lines), split into a prange loop for
    large sizes and a plain loop for small ones in the parallel library."""
    if not parallel:
        return [f"{indent}for i in range({n}):"] + [f"{indent}    {b}" for b in body]
    return ([f"{indent}if {n} >= PARALLEL_MIN:", f"{indent}    for i in prange({n}):"]
            + [f"{indent}        {b}" for b in body] + [f"{indent}else:", f"{indent}    for i in range({n}):"]
            + [f"{indent}        {b}" for b in body])


def _template_f_s(name, arity, modes, n_attrs, parallel=False):
    args = [f"a{i}" for i in range(arity)]
    attrs = [f"c{i}" for i in range(n_attrs)]
    lines = [f"def ew_{name}_{''.join(modes)}(out, {', '.join(args + attrs)}):", "    o = out.reshape(out.size)"]
    for i, m in enumerate(modes):
        lines.append(f"    x{i} = a{i}.reshape(a{i}.size)" if m == "f" else f"    x{i} = a{i}.reshape(a{i}.size)[0]")
    call_args = [f"x{i}[i]" if m == "f" else f"x{i}" for i, m in enumerate(modes)] + attrs
    lines += map_loop("o.size", [f"o[i] = _s_{name}({', '.join(call_args)})"], parallel)
    return "\n".join(lines) + "\n"


def _template_b(name, arity, n_attrs):
    args = [f"a{i}, st{i}" for i in range(arity)]
    attrs = [f"c{i}" for i in range(n_attrs)]
    lines = [f"def ew_{name}_b(out, {', '.join(args + attrs)}, shape):", "    o = out.reshape(out.size)"]
    lines += [f"    x{i} = a{i}.reshape(a{i}.size)" for i in range(arity)]
    lines += [f"    p{i} = 0" for i in range(arity)]
    lines += ["    nd = shape.size", "    idx = np.zeros(nd, np.int64)", "    for i in range(o.size):",
              f"        o[i] = _s_{name}({', '.join([f'x{i}[p{i}]' for i in range(arity)] + attrs)})",
              "        d = nd - 1", "        while d >= 0:", "            idx[d] += 1"]
    lines += [f"            p{i} += st{i}[d]" for i in range(arity)]
    lines += ["            if idx[d] < shape[d]:", "                break"]
    lines += [f"            p{i} -= st{i}[d] * shape[d]" for i in range(arity)]
    lines += ["            idx[d] = 0", "            d -= 1"]
    return "\n".join(lines) + "\n"


def library_source(ops, parallel=False, targets=("CPU",)):
    """The library module's source for the registered ops (deterministic order), with the kernels registered
    for ``targets`` (a target simulated on the CPU, e.g. Ascend, adds its own kernels to the CPU's)."""
    parts = []
    seen = {}

    def add(fn):
        key = fn.__name__
        if key in seen:
            if seen[key] is not fn:
                raise ValueError(f"two different kernels are named {key}; kernel names must be unique")
            return
        seen[key] = fn
        src = _source(fn)
        # a kernel written with prange is parallel in the opt-in parallel library
        parts.append(("@njit(**_EW_JIT)\n" if "prange(" in src else "@njit(**_JIT)\n") + src)

    for name in sorted(ops):
        op = ops[name]
        if op.scalar is not None:
            arity = len(inspect.signature(op.scalar).parameters) - len(op.scalar_attrs)
            parts.append("@njit(inline='always', error_model='numpy')\n" + _source(op.scalar, f"_s_{name}"))
            for modes in itertools.product("fs", repeat=arity):
                if "f" in modes:
                    parts.append("@njit(**_EW_JIT)\n" + _template_f_s(name, arity, modes, len(op.scalar_attrs),
                                                                      parallel))
            parts.append("@njit(**_JIT)\n" + _template_b(name, arity, len(op.scalar_attrs)))
    for target in targets:
        for spec in kernels_of(target).values():
            for fn in (*spec.helpers, *(() if spec.host else (spec.fn,))):  # (a host kernel is not compiled)
                add(fn)
    body = "\n\n".join(parts)
    import numba

    digest = hashlib.sha256(f"{GENERATOR_VERSION}|{numba.__version__}|{parallel}|{body}".encode()).hexdigest()[:16]
    header = _HEADER.format(digest=digest, parallel=bool(parallel), parallel_min=PARALLEL_MIN)
    return digest, header + "\n\n" + body


def load(ops, cache, parallel=False, targets=("CPU",)):
    """Generate (if needed) and import the kernel library for ``ops`` (serial or opt-in parallel) with the
    kernels of ``targets`` from ``cache`` (a runtime ModuleCache)."""
    digest, text = library_source(ops, parallel, targets)
    return cache.module("kernels", digest, text)[0]
