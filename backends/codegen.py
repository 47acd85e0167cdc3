"""Source-text pieces every code-generating target shares: Python literals for attribute values and
the per-element statements of a fused elementwise program."""

import math

import numpy as np

_CTOR = {"f": "np.float{bits}", "i": "np.int{bits}", "u": "np.uint{bits}", "b": "np.bool_"}


class StepText:
    """What every generated step collects: body ``lines``, ``consts`` (passed as ``C``) and the variable of
    each node (``var``); ``arg`` writes a value as a literal, or as a constant when it has none."""

    def __init__(self):
        self.lines = []
        self.consts = []
        self.var = {}

    def const(self, value):
        self.consts.append(value)
        return f"C[{len(self.consts) - 1}]"

    def arg(self, value):
        text = literal(value)
        return text if text is not None else self.const(value)


def out_buffer(src, launch, ins):
    """The generated step's ``out`` argument of a launch: its fresh buffer ``v<id> = B[k]`` (a line added to
    ``src.lines``), or none for an in-place launch, whose value is then the aliased input's variable."""
    n = launch.node
    if launch.alias is not None:
        src.var[n.id] = ins[launch.alias]
        return []
    src.lines.append(f"    v{n.id} = B[{launch.buffer}]")
    return [f"v{n.id}"]


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


class Numbers:
    """How a target's generated code reads, rounds and writes an element of each dtype. This default:
    arrays hold the dtype itself and a result is rounded with numpy's scalar constructor. A target whose
    arrays hold some dtype in another form (the CPU keeps 16-bit floats as uint16 bit patterns) overrides
    the three methods for it."""

    def load(self, dtype, text):
        """Source of the computing value of the array element ``text`` of ``dtype``."""
        return text

    def round(self, dtype, text, operand_dtypes=()):
        """Source of the value ``text`` (computed from operands of ``operand_dtypes``) rounded to
        ``dtype``, kept in the form ``load`` gives."""
        return f"{dtype_ctor(dtype)}({text})"

    def store(self, dtype, text):
        """Source of what an array of ``dtype`` holds for the rounded value ``text``."""
        return text


def program_body(attrs, full, in_dtypes=None, numbers=None):
    """Per-element statements of a fused program (each result rounded to its dtype, so fused results
    equal the unfused graph's) and its in-place stores; and the scalar bodies it calls. Input k is
    read as ``x{k}[i]`` when ``full[k]``, else as the single element ``x{k}``; ``in_dtypes[k]`` is its
    dtype and ``numbers`` (a ``Numbers``) says how each dtype is loaded, rounded and stored."""
    numbers = numbers or Numbers()
    in_dtypes = in_dtypes or [None] * len(full)
    body, bodies, dtypes = [], set(), []
    for j, (op_name, refs, attr_values, dtype_str) in enumerate(attrs["program"]):
        operands = [numbers.load(in_dtypes[r[1]], f"x{r[1]}[i]" if full[r[1]] else f"x{r[1]}") if r[0] == "i"
                    else f"t{r[1]}" for r in refs]
        operands += [literal(v) for v in attr_values]
        bodies.add(f"_s_{op_name}")
        call = f"_s_{op_name}({', '.join(operands)})"
        dtypes.append(np.dtype(dtype_str))
        operand_dtypes = tuple(in_dtypes[r[1]] if r[0] == "i" else dtypes[r[1]] for r in refs)
        body.append(f"t{j} = {numbers.round(dtypes[j], call, operand_dtypes)}")
    body += [f"x{k}[i] = {numbers.store(in_dtypes[k], f't{j}')}" for j, k in attrs["stores"]]
    return body, bodies
