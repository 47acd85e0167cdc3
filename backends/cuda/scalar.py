"""The ops' scalar bodies as CUDA device functions, in two forms: as written (``_s_Op``, for any dtype)
and a float32 form (``_s_Op_f32``) used when an op's operands and result are all float32.

Why the second form: numba types a Python literal as float64 or int64, so ``0 if x <= 0 else x`` on a
float32 ``x`` computes in float64 (and the PTX holds ``.f64`` instructions, which run at 1/64 of the float32
rate on many GPUs). The float32 form rewrites every numeric literal (and ``math.inf``/``nan``/``pi``/``e``)
as ``np.float32(literal)`` and casts the op's attribute arguments to float32 on entry, so the body computes
``f32 op f32 -> f32`` throughout; ``math.sin``/``math.cos`` become ``trig32``'s float32-only
versions. The CPU computes some of these in float64 and rounds once; the results
agree to float32 rounding (an ulp), not bit for bit.

float16: the GPU's arrays hold float16 itself (numba-cuda types its elements as ``float16``), but no
arithmetic runs in float16 (numba-cuda lowers float16 arithmetic to extern calls that need link-time
optimisation, and the CPU computes float16 in float32). ``CudaNumbers`` loads an element as
``np.float32(h)`` (PTX ``cvt.f32.f16``, exact), runs the float32 form of the body, rounds the result
once to float16 (``np.float16``: ``cvt.rn.f16.f32``, nearest even, as numpy) and keeps it as a float32,
and stores it with ``np.float16`` (exact then): the CPU's ``h2f``/``h16``/``f2h`` (``cpu/f16.py``). A
result computed from a float64 operand (a Cast from float64) is rounded to float16 directly, once.
"""

import ast
import inspect
import textwrap

import numpy as np

from ...graph.opdef import OPS
from ..codegen import Numbers

DEVICE_FN = '@cuda.jit(device=True, inline="always")\n'
_MATH_CONSTANTS = ("inf", "nan", "pi", "e")
# math functions the float32 form calls in a float32-only version (``trig32.py``: libdevice's sinf/cosf
# hold float64 instructions); a generated module imports them with ``FLOAT32_MATH_IMPORT``
FLOAT32_MATH = {"sin": "sin32", "cos": "cos32"}
FLOAT32_MATH_IMPORT = f"from {__package__}.trig32 import cos32, sin32  # noqa: F401\n"


class _Float32Literals(ast.NodeTransformer):
    def visit_Constant(self, node):
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return _f32(node)
        return node

    def visit_Attribute(self, node):
        if isinstance(node.value, ast.Name) and node.value.id == "math" and node.attr in _MATH_CONSTANTS:
            return _f32(node)
        if isinstance(node.value, ast.Name) and node.value.id == "math" and node.attr in FLOAT32_MATH:
            return ast.Name(id=FLOAT32_MATH[node.attr], ctx=ast.Load())
        return self.generic_visit(node)


def _f32(value):
    np_f32 = ast.Attribute(value=ast.Name(id="np", ctx=ast.Load()), attr="float32", ctx=ast.Load())
    return ast.Call(func=np_f32, args=[value], keywords=[])


def _function(op_name):
    tree = ast.parse(textwrap.dedent(inspect.getsource(OPS[op_name].scalar)))
    fn = tree.body[0]
    fn.decorator_list = []
    return tree, fn


def scalar_source(op_name):
    """Source of ``_s_<op>`` (the body as written) and ``_s_<op>_f32`` (float32 literals)."""
    tree, fn = _function(op_name)
    fn.name = f"_s_{op_name}"
    plain = ast.unparse(tree)
    tree, fn = _function(op_name)
    fn.name = f"_s_{op_name}_f32"
    fn.body = [_Float32Literals().visit(stmt) for stmt in fn.body]
    for attr in reversed(fn.args.args[len(fn.args.args) - len(OPS[op_name].scalar_attrs):]):
        fn.body.insert(0, ast.parse(f"{attr.arg} = np.float32({attr.arg})").body[0])
    ast.fix_missing_locations(tree)
    return DEVICE_FN + plain + "\n\n\n" + DEVICE_FN + ast.unparse(tree) + "\n"


def computes_in_float32(dtype, operand_dtypes):
    """Whether an op with these operand and result dtypes computes in float32: all are float32 or
    float16 (whose values are loaded as float32)."""
    return all(np.dtype(d).name in _FLOAT32_COMPUTE for d in (dtype, *operand_dtypes))


_FLOAT32_COMPUTE = ("float32", "float16")


class CudaNumbers(Numbers):
    """Calls the float32 form of a scalar body when the step's operands and result are float32 or
    float16; loads, rounds and stores float16 through float32 (module docstring)."""

    def load(self, dtype, text):
        return f"np.float32({text})" if np.dtype(dtype) == np.float16 else text

    def round(self, dtype, text, operand_dtypes=()):
        if operand_dtypes and computes_in_float32(dtype, operand_dtypes):
            name, rest = text.split("(", 1)
            text = f"{name}_f32({rest}"
        if np.dtype(dtype) != np.float16:
            return super().round(dtype, text, operand_dtypes)
        if not any(np.dtype(d) == np.float64 for d in operand_dtypes):
            text = f"np.float32({text})"
        return f"np.float32(np.float16({text}))"

    def store(self, dtype, text):
        return f"np.float16({text})" if np.dtype(dtype) == np.float16 else text


NUMBERS = CudaNumbers()
