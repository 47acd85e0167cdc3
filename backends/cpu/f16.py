"""16-bit floats for numba on the CPU: float16 (IEEE half) and bfloat16 stored as ``uint16``.

numba has no float16 type (``NotImplementedError: float16``), so the CPU target passes every 16-bit
float array to its kernels as a ``.view(np.uint16)`` and converts single values with the llvmlite
intrinsics below, which numba inlines into the calling kernel (LLVM turns the half conversions into
F16C instructions and vectorises them):

  * ``h2f(u)``: the float16 bit pattern ``u`` as a float32 (exact);
  * ``f2h(x)``: ``x`` (float32, float64, int or bool) rounded to the nearest float16 (ties to even,
    overflow to inf), as its bit pattern: numpy's ``astype(np.float16)``. A float64 is rounded
    directly, not through float32 (which would round twice): it is first rounded to float32 *to odd*
    (truncate, then set the last bit when inexact), which makes the second rounding correct. (LLVM's
    own ``fptrunc double -> half`` needs a compiler-rt routine that numba's JIT does not link.);
  * ``h16(x)``: ``h2f(f2h(x))``, the value rounded to float16 precision, kept as a float32;
  * ``b2f``, ``f2b``, ``b16``: the same for bfloat16 (``ml_dtypes.bfloat16``: the top half of a
    float32; rounding to nearest even; a NaN becomes the canonical quiet NaN).

``HALF_TYPES`` maps each 16-bit float dtype's name to the names of its (load, store, round) helpers
(``helpers(dtype)``): the emitter and the fused-kernel generator read it, so adding a 16-bit type
touches this file only. (bfloat16 is keyed by name: a bfloat16 array exists only once ml_dtypes is
imported, and minispore does not import it for you.)
"""

import hashlib
import inspect

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ..half_passes import is_half, touches_half  # noqa: F401  (the 16-bit floats, which the CPU stores as uint16)

STORAGE = np.dtype(np.uint16)  # how every 16-bit float is stored in the CPU's arrays

_I16, _I32, _I64 = ir.IntType(16), ir.IntType(32), ir.IntType(64)
_HALF, _FLOAT, _DOUBLE = ir.HalfType(), ir.FloatType(), ir.DoubleType()


def _bits16(builder, value, ty):
    """An i16 of an integer argument of any width (the uint16 bit pattern)."""
    width = ty.bitwidth
    if width == 16:
        return value
    return builder.trunc(value, _I16) if width > 16 else builder.zext(value, _I16)


def _float32(builder, value, ty):
    """``value`` of numba type ``ty`` (float32, float64, int, bool) as an LLVM float, rounded once
    (float64: to odd, so that rounding the result again to 16 bits is correct)."""
    if isinstance(ty, types.Float):
        if ty.bitwidth == 32:
            return value
        return _round_to_odd(builder, value)
    if isinstance(ty, types.Boolean):
        return builder.uitofp(value, _FLOAT)
    # every int that a 16-bit float can hold is exact in float32; a larger one overflows either way
    return builder.sitofp(value, _FLOAT) if ty.signed else builder.uitofp(value, _FLOAT)


def _round_to_odd(builder, d):
    """The float64 ``d`` rounded to float32 to odd: truncated towards zero, the last bit set if inexact."""
    f = builder.fptrunc(d, _FLOAT)
    back = builder.fpext(f, _DOUBLE)
    inexact = builder.fcmp_unordered("!=", back, d)  # (true for NaN too: then f is returned unchanged)
    is_nan = builder.fcmp_unordered("uno", d, d)
    bits = builder.bitcast(f, _I32)
    fabs = builder.module.declare_intrinsic("llvm.fabs", [_DOUBLE])
    away = builder.fcmp_ordered(">", builder.call(fabs, [back]), builder.call(fabs, [d]))
    toward_zero = builder.select(away, builder.sub(bits, ir.Constant(_I32, 1)), bits)
    odd = builder.or_(toward_zero, ir.Constant(_I32, 1))
    fixed = builder.select(builder.and_(inexact, builder.not_(is_nan)), odd, bits)
    return builder.bitcast(fixed, _FLOAT)


def _is_number(ty):
    return isinstance(ty, (types.Float, types.Integer, types.Boolean))


def _c16(v):
    return ir.Constant(_I16, v)


def _c32(v):
    return ir.Constant(_I32, v)


# ---- float16 -------------------------------------------------------------------------------
# The F16C conversions agree with numpy's bit for bit except on signalling NaNs, which the hardware
# quiets and numpy keeps signalling (its payload's top bits; 0x7c01 when those are all zero). The few
# integer operations below make those agree too; they are branch-free, so the loops still vectorise.

def _h2f_ir(builder, u):
    """float16 bits (i16) -> float: the hardware's result, without the quiet bit it sets on a signalling NaN."""
    hw = builder.bitcast(builder.fpext(builder.bitcast(u, _HALF), _FLOAT), _I32)
    magnitude = builder.and_(u, _c16(0x7FFF))
    snan = builder.icmp_unsigned("<", builder.sub(magnitude, _c16(0x7C01)), _c16(0x1FF))  # 0x7c01 ... 0x7dff
    return builder.bitcast(builder.select(snan, builder.and_(hw, _c32(~0x400000)), hw), _FLOAT)


def _f2h32_ir(builder, f):
    """float -> float16 bits (i16): the hardware's, kept signalling for a signalling NaN (as numpy)."""
    hw = builder.bitcast(builder.fptrunc(f, _HALF), _I16)
    magnitude = builder.and_(builder.bitcast(f, _I32), _c32(0x7FFFFFFF))
    snan = builder.icmp_unsigned("<", builder.sub(magnitude, _c32(0x7F800001)), _c32(0x3FFFFF))
    kept = builder.and_(hw, _c16(~0x200))
    kept = builder.or_(kept, builder.zext(builder.icmp_unsigned("==", builder.and_(kept, _c16(0x3FF)), _c16(0)), _I16))
    return builder.select(snan, kept, hw)


def _nan_half64(builder, d):
    """numpy's float16 bits of a float64 NaN: its sign, the top 10 bits of its payload (1 if all zero)."""
    bits = builder.bitcast(d, _I64)
    sign = builder.and_(builder.trunc(builder.lshr(bits, ir.Constant(_I64, 48)), _I16), _c16(-0x8000))
    sig = builder.and_(builder.trunc(builder.lshr(bits, ir.Constant(_I64, 42)), _I16), _c16(0x3FF))
    sig = builder.select(builder.icmp_unsigned("==", sig, _c16(0)), _c16(1), sig)
    return builder.or_(builder.or_(sign, _c16(0x7C00)), sig)


def _f2h_ir(builder, value, ty):
    """A number of numba type ``ty`` -> float16 bits, rounded once, as numpy's ``astype``."""
    if isinstance(ty, types.Float) and ty.bitwidth == 64:
        hw = builder.bitcast(builder.fptrunc(_round_to_odd(builder, value), _HALF), _I16)
        return builder.select(builder.fcmp_unordered("uno", value, value), _nan_half64(builder, value), hw)
    return _f2h32_ir(builder, _float32(builder, value, ty))


def _h16_ir(builder, value, ty):
    """A number rounded to float16 precision, as a float: ``h2f(f2h(x))`` in fewer steps for a float32
    (a NaN keeps the top 10 bits of its payload, or gets 1 << 13 when those are all zero)."""
    if isinstance(ty, types.Float) and ty.bitwidth == 64:
        return _h2f_ir(builder, _f2h_ir(builder, value, ty))
    f = _float32(builder, value, ty)
    hw = builder.fpext(builder.fptrunc(f, _HALF), _FLOAT)
    if not isinstance(ty, types.Float):
        return hw
    bits = builder.and_(builder.bitcast(f, _I32), _c32(-0x2000))
    empty = builder.icmp_unsigned("==", builder.and_(bits, _c32(0x7FFFFF)), _c32(0))
    nan = builder.bitcast(builder.or_(bits, builder.select(empty, _c32(0x2000), _c32(0))), _FLOAT)
    return builder.select(builder.fcmp_unordered("uno", f, f), nan, hw)


@intrinsic
def h2f(typingctx, u):
    """float16 bits -> float32."""
    if not isinstance(u, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        return _h2f_ir(builder, _bits16(builder, args[0], sig.args[0]))

    return types.float32(u), codegen


@intrinsic
def f2h(typingctx, x):
    """A number -> the bits of the nearest float16 (ties to even)."""
    if not _is_number(x):
        return None

    def codegen(context, builder, sig, args):
        return _f2h_ir(builder, args[0], sig.args[0])

    return types.uint16(x), codegen


@intrinsic
def h16(typingctx, x):
    """A number rounded to float16 precision, as a float32."""
    if not _is_number(x):
        return None

    def codegen(context, builder, sig, args):
        return _h16_ir(builder, args[0], sig.args[0])

    return types.float32(x), codegen


# ---- bfloat16 ------------------------------------------------------------------------------

@intrinsic
def b2f(typingctx, u):
    """bfloat16 bits -> float32 (the bits are the float32's top half)."""
    if not isinstance(u, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        wide = builder.zext(_bits16(builder, args[0], sig.args[0]), _I32)
        return builder.bitcast(builder.shl(wide, ir.Constant(_I32, 16)), _FLOAT)

    return types.float32(u), codegen


def _f2b_ir(builder, value, ty):
    """The float32 rounded to bfloat16 to nearest even (ml_dtypes' rule): bits + 0x7fff + lsb, top half;
    a NaN becomes the quiet NaN 0x7fc0 with its sign (ml_dtypes drops the payload)."""
    f = _float32(builder, value, ty)
    bits = builder.bitcast(f, _I32)
    lsb = builder.and_(builder.lshr(bits, ir.Constant(_I32, 16)), ir.Constant(_I32, 1))
    rounded = builder.add(builder.add(bits, ir.Constant(_I32, 0x7FFF)), lsb)
    quiet = builder.or_(builder.and_(bits, ir.Constant(_I32, -0x80000000)), ir.Constant(_I32, 0x7FC00000))
    is_nan = builder.fcmp_unordered("uno", f, f)
    chosen = builder.select(is_nan, quiet, rounded)
    return builder.trunc(builder.lshr(chosen, ir.Constant(_I32, 16)), _I16)


@intrinsic
def f2b(typingctx, x):
    """A number -> the bits of the nearest bfloat16."""
    if not _is_number(x):
        return None

    def codegen(context, builder, sig, args):
        return _f2b_ir(builder, args[0], sig.args[0])

    return types.uint16(x), codegen


@intrinsic
def b16(typingctx, x):
    """A number rounded to bfloat16 precision, as a float32."""
    if not _is_number(x):
        return None

    def codegen(context, builder, sig, args):
        wide = builder.zext(_f2b_ir(builder, args[0], sig.args[0]), _I32)
        return builder.bitcast(builder.shl(wide, ir.Constant(_I32, 16)), _FLOAT)

    return types.float32(x), codegen


# ---- what the code generators use ------------------------------------------------------------

HALF_TYPES = {"float16": ("h2f", "f2h", "h16"), "bfloat16": ("b2f", "f2b", "b16")}  # (keys: half_passes.HALF_FLOATS)

# Hash of this file's source: generated modules that call these helpers carry it, so numba's cache
# (which checks only the calling function's own file) never serves code built from older helpers.
VERSION = hashlib.sha256(inspect.getsource(inspect.getmodule(h2f)).encode()).hexdigest()[:12]


def helpers(dtype):
    """The (load, store, round) helper names of a 16-bit float dtype, or None for any other dtype."""
    return HALF_TYPES.get(np.dtype(dtype).name)


def storage_dtype(dtype):
    """The dtype the CPU's arrays hold for ``dtype`` (uint16 for 16-bit floats)."""
    return STORAGE if is_half(dtype) else np.dtype(dtype)


def to_storage(array):
    """``array`` as the kernels see it: a uint16 view of a 16-bit float array, else itself."""
    return array.view(STORAGE) if is_half(array.dtype) else array
