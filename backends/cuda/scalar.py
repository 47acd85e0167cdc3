"""The ops' scalar bodies as CUDA device functions, in two forms: as written (``_s_Op``, for any dtype)
and a float32 form (``_s_Op_f32``) used when an op's operands and result are all float32.

Why the second form: numba types a Python literal as float64 or int64, so ``0 if x <= 0 else x`` on a
float32 ``x`` computes in float64 (and the PTX holds ``.f64`` instructions, which run at 1/64 of the float32
rate on many GPUs). The float32 form rewrites every numeric literal (and ``math.inf``/``nan``/``pi``/``e``)
as ``np.float32(literal)`` and casts the op's attribute arguments to float32 on entry, so the body computes
``f32 op f32 -> f32`` throughout. The CPU computes some of these in float64 and rounds once; the results
agree to float32 rounding (an ulp), not bit for bit.
"""

import ast
import inspect
import textwrap

import numpy as np

from ...graph.opdef import OPS
from ..codegen import Numbers

DEVICE_FN = '@cuda.jit(device=True, inline="always")\n'
_MATH_CONSTANTS = ("inf", "nan", "pi", "e")


class _Float32Literals(ast.NodeTransformer):
    def visit_Constant(self, node):
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return _f32(node)
        return node

    def visit_Attribute(self, node):
        if isinstance(node.value, ast.Name) and node.value.id == "math" and node.attr in _MATH_CONSTANTS:
            return _f32(node)
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


def all_float32(dtype, operand_dtypes):
    return np.dtype(dtype) == np.float32 and all(np.dtype(d) == np.float32 for d in operand_dtypes)


class CudaNumbers(Numbers):
    """Rounds like the default (numpy's scalar constructor) and calls the float32 form of a scalar body
    when the step's operands and result are all float32."""

    def round(self, dtype, text, operand_dtypes=()):
        if operand_dtypes and all_float32(dtype, operand_dtypes):
            name, rest = text.split("(", 1)
            text = f"{name}_f32({rest}"
        return super().round(dtype, text, operand_dtypes)


NUMBERS = CudaNumbers()
