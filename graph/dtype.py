"""MindSpore's dtypes (``minispore.float32`` ...), each a thin wrapper of a numpy dtype."""

import sys

import numpy as np


class Type:
    """A tensor element type. ``str(minispore.float32) == 'Float32'`` as in MindSpore."""

    __slots__ = ("name", "np")

    def __init__(self, name, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)

    def __repr__(self):
        return self.name

    __str__ = __repr__

    def __eq__(self, other):
        if isinstance(other, Type):
            return self.np == other.np
        try:
            return self.np == np.dtype(other)
        except TypeError:
            return False

    def __hash__(self):
        return hash(self.np)

    @property
    def is_floating(self):
        return is_float(self.np)


bool_ = Type("Bool", np.bool_)
int8 = Type("Int8", np.int8)
int16 = Type("Int16", np.int16)
int32 = Type("Int32", np.int32)
int64 = Type("Int64", np.int64)
uint8 = Type("UInt8", np.uint8)
uint16 = Type("UInt16", np.uint16)
uint32 = Type("UInt32", np.uint32)  # MnistDataset labels
uint64 = Type("UInt64", np.uint64)
float16 = Type("Float16", np.float16)
float32 = Type("Float32", np.float32)
float64 = Type("Float64", np.float64)
# MindSpore's aliases
half, single, double = float16, float32, float64

_ALL = [bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, float32, float64]
_BY_NP = {t.np: t for t in _ALL}


# bfloat16 is ml_dtypes' numpy dtype (the package JAX uses; numpy has none). Importing ml_dtypes takes
# about 0.6 s, so minispore never imports it: ``minispore.dtype.bfloat16`` exists once the program has
# imported ml_dtypes (``import ml_dtypes``), and bfloat16 arrays are accepted from then on.
def _bfloat16():
    """minispore's BFloat16 Type once ml_dtypes is imported, else None."""
    ml_dtypes = sys.modules.get("ml_dtypes")
    if ml_dtypes is None:
        return None
    d = np.dtype(ml_dtypes.bfloat16)
    if d not in _BY_NP:
        _BY_NP[d] = Type("BFloat16", d)
        _ALL.append(_BY_NP[d])
    return _BY_NP[d]


def __getattr__(name):
    if name == "bfloat16":
        t = _bfloat16()
        if t is not None:
            return t
        raise AttributeError("minispore.dtype.bfloat16 is ml_dtypes' bfloat16: `import ml_dtypes` first (minispore "
                             "does not import it for you: it takes about 0.6 s)")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_float(dtype):
    """Whether a numpy dtype is a floating-point type: numpy's kind 'f', or ml_dtypes' bfloat16 (kind 'V')."""
    d = np.dtype(dtype)
    return d.kind == "f" or d.name == "bfloat16"


def to_np(dtype):
    """Accept a minispore Type, a numpy dtype or a Python type and return the numpy dtype."""
    if isinstance(dtype, Type):
        return dtype.np
    if dtype is float:
        return np.dtype(np.float32)
    if dtype is int:
        return np.dtype(np.int32)
    if dtype is bool:
        return np.dtype(np.bool_)
    try:
        d = np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"'{dtype}' is not a valid dtype; use e.g. minispore.float32") from e
    if d not in _BY_NP and not (d.name == "bfloat16" and _bfloat16() is not None):
        raise TypeError(f"dtype {d} is not supported by minispore; supported: {[t.name for t in _ALL]}")
    return d


def from_np(np_dtype):
    """The minispore Type for a numpy dtype."""
    d = np.dtype(np_dtype)
    if d not in _BY_NP and not (d.name == "bfloat16" and _bfloat16() is not None):
        raise TypeError(f"dtype {d} is not supported by minispore; supported: {[t.name for t in _ALL]}")
    return _BY_NP[d]


def dtype_to_nptype(dtype):
    """MindSpore's ``dtype_to_nptype``: the numpy scalar type of a minispore Type."""
    return to_np(dtype).type

