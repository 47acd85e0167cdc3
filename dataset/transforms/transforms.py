"""``mindspore.dataset.transforms``' general transforms: ``Compose``, ``RandomApply``, ``RandomChoice``,
``TypeCast``, ``OneHot``, ``Duplicate``, with MindSpore's arguments and output types."""

import numbers

import numpy as np

from ...graph import dtype as mstype
from ...graph.tensor import Tensor
from ..vision._image import check_number, new_rng


def _check_transforms(transforms, op):
    if not isinstance(transforms, (list, tuple)) or not transforms:
        raise TypeError(f"{op}: transforms should be a non-empty list of callables, but got {transforms!r}")
    for i, t in enumerate(transforms):
        if not callable(t):
            raise ValueError(f"transforms[{i}] is neither a transforms op (TensorOperation) nor a callable pyfunc.")
    return list(transforms)


def _run(transforms, args):
    for t in transforms:
        res = t(*args)
        args = res if isinstance(res, tuple) else (res,)
    return args[0] if len(args) == 1 else args


class Compose:
    """Chain ``transforms``: each one's outputs are the next one's inputs (nested Composes are flattened)."""

    def __init__(self, transforms):
        flat = []
        for t in _check_transforms(transforms, "Compose"):
            flat.extend(t.transforms if isinstance(t, Compose) else [t])
        self.transforms = flat

    def __call__(self, *args):
        return _run(self.transforms, args)


class RandomApply:
    """Apply all of ``transforms`` (chained) with probability ``prob``, else pass the input through."""

    def __init__(self, transforms, prob=0.5):
        self.transforms = _check_transforms(transforms, "RandomApply")
        self.prob = float(check_number(prob, "prob", "RandomApply", 0.0, 1.0))
        self._rng = new_rng()

    def __call__(self, *args):
        if self._rng.random() < self.prob:
            return _run(self.transforms, args)
        return args[0] if len(args) == 1 else args


class RandomChoice:
    """Apply one of ``transforms``, chosen uniformly at random per call."""

    def __init__(self, transforms):
        self.transforms = _check_transforms(transforms, "RandomChoice")
        self._rng = new_rng()

    def __call__(self, *args):
        return _run([self.transforms[int(self._rng.integers(len(self.transforms)))]], args)


def _np_dtype(data_type):
    if isinstance(data_type, mstype.Type):
        return np.dtype(data_type.np)
    try:
        return np.dtype(data_type)
    except TypeError:
        raise TypeError(f"Argument data_type with value {data_type!r} is not of type [<class "
                        "'mindspore._c_expression.typing.Type'>, <class 'numpy.dtype'>].") from None


def _array(x):
    return x.asnumpy() if isinstance(x, Tensor) else np.asarray(x)


class TypeCast:
    """Cast to ``data_type`` (a minispore/MindSpore dtype such as ``mstype.int32``, or a numpy dtype)."""

    def __init__(self, data_type):
        self.data_type = _np_dtype(data_type)

    def __call__(self, x):
        return _array(x).astype(self.data_type)


class OneHot:
    """Labels (a scalar or a 1-D array of ints) to one-hot rows of ``num_classes``, in the labels' dtype; a
    ``smoothing_rate`` s > 0 gives float64 rows of ``1 - s + s / num_classes`` and ``s / num_classes``. (MindSpore
    2.10 smooths a vector of labels wrongly: every row but the last loses its hot value; this does not copy that.)"""

    def __init__(self, num_classes, smoothing_rate=0.0):
        if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral):
            raise TypeError(f"Argument num_classes with value {num_classes!r} is not of type [<class 'int'>].")
        check_number(num_classes, "num_classes", "OneHot", 0, 2**31 - 1)
        self.num_classes = int(num_classes)
        self.smoothing_rate = float(check_number(smoothing_rate, "smoothing_rate", "OneHot", 0.0, 1.0))

    def __call__(self, label):
        label = _array(label)
        if not np.issubdtype(label.dtype, np.integer):
            raise RuntimeError(f"OneHot: OneHot only support input of int type, but got: {label.dtype}")
        if label.ndim > 1:
            raise RuntimeError(f"OneHot: OneHot only supports scalars or 1D input, got rank: {label.ndim}")
        if label.size and (label.min() < 0 or label.max() >= self.num_classes):
            raise RuntimeError(f"OneHot: index values should not bigger than num classes: {self.num_classes}, but "
                               f"got: {int(label.max())}")
        if label.shape == (1,):  # MindSpore gives a 1-label vector the shape of a scalar label: (num_classes,)
            label = label[0]
        out = np.eye(self.num_classes)[label]
        if self.smoothing_rate:
            return out * (1 - self.smoothing_rate) + self.smoothing_rate / self.num_classes
        return out.astype(label.dtype)


class Duplicate:
    """One column in, the same value twice out (use with ``output_columns`` of two names)."""

    def __call__(self, x):
        x = _array(x)
        return x, x.copy()
