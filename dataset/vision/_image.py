"""What every vision transform shares: its input as a numpy image with a checked rank, argument checks in
MindSpore's words, and the random source of the random transforms (seeded from ``dataset.config``'s seed)."""

import numbers

import numpy as np

from ...graph.tensor import Tensor
from ...runtime.dataset_base import _CONFIG

_CREATED = {"seed_calls": -1, "count": 0}  # random transforms created since the last config.set_seed


def as_image(img, op, ranks=(2, 3)):
    """``img`` (numpy array, Tensor, PIL image or anything numpy takes) as an array of one of ``ranks``."""
    if isinstance(img, Tensor):
        img = img.asnumpy()
    if not isinstance(img, np.ndarray):
        img = np.asarray(img)  # a PIL image too (through its array interface): the result is a numpy image
    if img.ndim not in ranks:
        shapes = " or ".join({2: "<H, W>", 3: "<H, W, C>", 1: "<N>", 0: "<>"}[r] for r in ranks)
        raise RuntimeError(f"{op}: the shape of input should be {shapes}, but got rank {img.ndim} "
                           f"(shape {list(img.shape)})")
    return img


def check_number(value, name, op, lo=None, hi=None, lo_open=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Argument {name} with value {value!r} is not of type [<class 'int'>, <class 'float'>], "
                        f"but got {type(value)}.")
    if (lo is not None and (value < lo or (lo_open and value == lo))) or (hi is not None and value > hi):
        bound = f"{'(' if lo_open else '['}{lo}, {hi}]"
        raise ValueError(f"Input {name} is not within the required interval of {bound}.")
    return value


def check_size(size, op, name="size"):
    """MindSpore's (height, width) from an int or a sequence of 1 or 2 positive ints."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        size = (int(size),)
    if not isinstance(size, (list, tuple)) or len(size) not in (1, 2) or \
            not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in size):
        raise TypeError(f"{op}: {name} should be a single integer or a list/tuple (h, w) of length 2, but got "
                        f"{size!r}")
    for s in size:
        if not 1 <= s <= 2**31 - 1:
            raise ValueError(f"Input {name} is not within the required interval of [1, 2147483647].")
    return tuple(int(s) for s in size)


def crop_size(size, op):
    size = check_size(size, op)
    return (size[0], size[0]) if len(size) == 1 else size


def check_prob(prob, op):
    return float(check_number(prob, "prob", op, 0.0, 1.0))


def new_rng():
    """A generator for one random transform: the dataset seed and the transform's creation order since the last
    ``config.set_seed`` (so a pipeline built again after the same ``set_seed`` draws the same numbers)."""
    if _CREATED["seed_calls"] != _CONFIG["seed_calls"]:
        _CREATED.update(seed_calls=_CONFIG["seed_calls"], count=0)
    _CREATED["count"] += 1
    return np.random.default_rng([_CONFIG["seed"], _CREATED["count"]])
