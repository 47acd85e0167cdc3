"""16-bit floats for numba on the CPU: float16 (IEEE half) and bfloat16 stored as ``uint16``.

numba has no float16 type (``NotImplementedError: float16``), so the CPU target passes every 16-bit
float array to its kernels as a ``.view(np.uint16)`` and converts single values with the llvmlite
intrinsics of f16_intrinsics.py, which numba inlines into the calling kernel (LLVM turns the half conversions into
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
import os

import numpy as np

from ..half_passes import is_half, touches_half  # noqa: F401  (the 16-bit floats, which the CPU stores as uint16)

STORAGE = np.dtype(np.uint16)  # how every 16-bit float is stored in the CPU's arrays


# ---- what the code generators use ------------------------------------------------------------

HALF_TYPES = {"float16": ("h2f", "f2h", "h16"), "bfloat16": ("b2f", "f2b", "b16")}  # (keys: half_passes.HALF_FLOATS)

# The module the generated kernels import the helpers from (numba and llvmlite are imported with it, so not here:
# ``import minispore`` stays free of numba), and a hash of its source: generated modules that call the helpers
# carry it, so numba's cache (which checks only the calling function's own file) never serves code built from
# older helpers.
INTRINSICS = __name__.rsplit(".", 1)[0] + ".f16_intrinsics"
with open(os.path.join(os.path.dirname(__file__), "f16_intrinsics.py"), "rb") as _f:
    VERSION = hashlib.sha256(_f.read()).hexdigest()[:12]


def helpers(dtype):
    """The (load, store, round) helper names of a 16-bit float dtype, or None for any other dtype."""
    return HALF_TYPES.get(np.dtype(dtype).name)


def storage_dtype(dtype):
    """The dtype the CPU's arrays hold for ``dtype`` (uint16 for 16-bit floats)."""
    return STORAGE if is_half(dtype) else np.dtype(dtype)


def to_storage(array):
    """``array`` as the kernels see it: a uint16 view of a 16-bit float array, else itself."""
    return array.view(STORAGE) if is_half(array.dtype) else array
