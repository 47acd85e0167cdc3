"""The llvmlite intrinsics that convert 16-bit floats (stored as uint16) in the CPU's numba kernels.

Imported by the generated fused kernels only (never by ``import minispore``: it needs numba). What each
helper computes is in f16.py's docstring.
"""

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

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
