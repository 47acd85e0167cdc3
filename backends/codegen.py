"""Source-text pieces every code-generating target shares: Python literals for attribute values and
the per-element statements of a fused elementwise program."""

import math

import numpy as np

_CTOR = {"f": "np.float{bits}", "i": "np.int{bits}", "u": "np.uint{bits}", "b": "np.bool_"}


def dtype_ctor(dtype):
    """Source of the numpy scalar constructor of ``dtype`` (rounds a value to that dtype)."""
    d = np.dtype(dtype)
    return _CTOR[d.kind].format(bits=d.itemsize * 8)


def literal(value):
    """Python source for a bool, int, float (nan/inf through ``math``) or tuple of ints; None for anything
    else (arrays), which the emitter passes as a constant instead."""
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (int, np.integer)):
        return repr(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "math.nan"
        if math.isinf(v):
            return "math.inf" if v > 0 else "-math.inf"
        return repr(v)
    if isinstance(value, tuple) and all(isinstance(v, (int, np.integer)) for v in value):
        return repr(tuple(int(v) for v in value))
    return None


def program_body(attrs, full):
    """Per-element statements of a fused program (each result rounded to its dtype, so fused results
    equal the unfused graph's) and its in-place stores; and the scalar bodies it calls. Input k is
    read as ``x{k}[i]`` when ``full[k]``, else as the single element ``x{k}``."""
    body, bodies = [], set()
    for j, (op_name, refs, attr_values, dtype_str) in enumerate(attrs["program"]):
        operands = [(f"x{r[1]}[i]" if full[r[1]] else f"x{r[1]}") if r[0] == "i" else f"t{r[1]}" for r in refs]
        operands += [literal(v) for v in attr_values]
        bodies.add(f"_s_{op_name}")
        body.append(f"t{j} = {dtype_ctor(dtype_str)}(_s_{op_name}({', '.join(operands)}))")
    body += [f"x{k}[i] = t{j}" for j, k in attrs["stores"]]
    return body, bodies
