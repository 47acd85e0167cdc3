"""Compile every GPU kernel to PTX for one architecture and fail if a float32 kernel holds float64
instructions (``python -m minispore.backends.cuda.ptx_check --arch sm_90``).

Runs without a GPU (``numba.cuda.compile_ptx`` uses no driver) but not in numba's simulator. The kernels
are the hand-written ones of ``kernels/`` (each module's ``PTX`` list: kernel and float32 signature) and,
for every elementwise op whose inputs may be float32, its generated map kernel (``maps.py``: the float32
form of its scalar body), and the same on float16 inputs (``map_Op_f16``) with the Casts between float32
and float16: a float16 kernel must hold no float64 either. A float64 instruction is any PTX instruction
with a ``.f64`` type (``add.f64``, ``cvt.f64.f32``, ...): a Python literal left as a double does that,
and it runs at 1/64 of the float32 rate on many GPUs. Last line: ``N kernels compiled for sm_90, M with float64``.
"""

import argparse
import importlib.util
import os
import re
import sys
import tempfile

import numpy as np
from numba import config, cuda

from ...graph.opdef import OPS, Spec
from .kernels import MODULES
from .maps import map_source
from .scalar import FLOAT32_MATH_IMPORT, scalar_source

_F64 = re.compile(r"^\s*[a-z][\w.]*\.f64\b", re.MULTILINE)
_ATTRS = {"alpha": 0.2, "approximate": True, "eps": 1e-5}  # sample values of scalar attrs (cast to float32)


class _Node:
    """The little of a graph node that ``maps.map_source`` reads."""

    def __init__(self, op, n_inputs, dtype, in_dtype=np.float32):
        self.op, self.dtype = op, np.dtype(dtype)
        self.inputs = [_Node.__new__(_Node) for _ in range(n_inputs)]
        for i in self.inputs:
            i.dtype = np.dtype(in_dtype)
        self.attrs = {a: _ATTRS[a] for a in OPS[op].scalar_attrs}


def _float_ops(in_dtype):
    """(op, arity, output dtype) of each elementwise op that takes ``in_dtype`` inputs without other attrs."""
    out = []
    for name in sorted(OPS):
        op = OPS[name]
        if op.scalar is None or any(a not in _ATTRS for a in op.scalar_attrs):
            continue
        arity = op.scalar.__code__.co_argcount - len(op.scalar_attrs)
        try:
            _, dtype = op.infer([Spec((4,), np.dtype(in_dtype))] * arity, **{a: _ATTRS[a] for a in op.scalar_attrs})
        except (TypeError, ValueError):
            continue  # (an op of bools or ints)
        out.append((name, arity, np.dtype(dtype)))
    return out


def _maps():
    """(kernel name, op, arity, input dtype, output dtype) of each map kernel checked: every elementwise op
    on float32 (``map_Op``) and on float16 (``map_Op_f16``: loads float16 as float32, computes in float32,
    rounds once at the store), and the Casts between float32 and float16."""
    out = [(f"map_{n}", n, a, np.float32, d) for n, a, d in _float_ops(np.float32)]
    out += [(f"map_{n}_f16", n, a, np.float16, d) for n, a, d in _float_ops(np.float16)]
    return out + [("map_Cast_f32_f16", "Cast", 1, np.float32, np.float16),
                  ("map_Cast_f16_f32", "Cast", 1, np.float16, np.float32)]


def _type(dtype):
    return "boolean" if np.dtype(dtype) == np.bool_ else np.dtype(dtype).name


def _generated(folder):
    """[(name, py_func, signature)] of the map kernels of ``_maps()``."""
    parts, sigs = [], []
    for op in sorted({m[1] for m in _maps()}):
        parts.append(scalar_source(op))
    for kname, name, arity, in_dtype, dtype in _maps():
        text, _ = map_source(_Node(name, arity, dtype, in_dtype), "f" * arity, kname)
        parts.append(text)
        sigs.append((kname, f"void({_type(dtype)}[::1], {', '.join([f'{_type(in_dtype)}[::1]'] * arity)})"))
    path = os.path.join(folder, "ptx_check_maps.py")
    with open(path, "w") as f:
        f.write("import math  # noqa: F401\nimport numpy as np  # noqa: F401\nfrom numba import cuda\n"
                + FLOAT32_MATH_IMPORT + "\n\n" + "\n\n".join(parts))
    spec = importlib.util.spec_from_file_location("ptx_check_maps", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [(n, getattr(module, n).py_func, s) for n, s in sigs]


def _extra(paths):
    """The ``PTX`` lists of the Python files ``paths`` (``--extra``: kernels to check beside this target's)."""
    out = []
    for k, path in enumerate(paths):
        spec = importlib.util.spec_from_file_location(f"ptx_check_extra_{k}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        out.append(module)
    return out


def kernels(folder, only=(), extra=()):
    modules = list(MODULES) + _extra(extra)
    found = [(k.py_func.__name__, k.py_func, sig) for m in modules for k, sig in m.PTX] + _generated(folder)
    return [k for k in found if not only or k[0] in only]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="sm_90", help="compute capability as sm_XY (default sm_90)")
    parser.add_argument("--only", nargs="*", default=(), help="check only the kernels of these names")
    parser.add_argument("--extra", nargs="*", default=(), help="Python files whose PTX lists are checked too")
    args = parser.parse_args(argv)
    if config.ENABLE_CUDASIM:
        sys.exit("ptx_check compiles PTX: run it without NUMBA_ENABLE_CUDASIM (no GPU is needed)")
    cc = tuple(int(c) for c in args.arch.removeprefix("sm_"))
    with tempfile.TemporaryDirectory() as folder:
        todo = kernels(folder, args.only, args.extra)
        with_f64 = []
        for name, fn, sig in todo:
            ptx, _ = cuda.compile_ptx(fn, sig, cc=cc)
            hits = _F64.findall(ptx)
            if hits:
                with_f64.append(name)
                print(f"{name}: {len(hits)} float64 instructions, e.g. {hits[0].strip()}")
    print(f"{len(todo)} kernels compiled for {args.arch}, {len(with_f64)} with float64")
    return 1 if with_f64 else 0


if __name__ == "__main__":
    sys.exit(main())
