"""``mindspore.dataset.vision``'s enums: ``Inter`` (interpolation) and ``Border`` (padding), with MindSpore's
member names and values (``Inter.LINEAR is Inter.BILINEAR``, ``Inter.CUBIC is Inter.BICUBIC``)."""

from enum import Enum, IntEnum


class Inter(IntEnum):
    """Interpolation modes of ``Resize`` and the resizing crops."""

    NEAREST = 0
    ANTIALIAS = 1
    BILINEAR = LINEAR = 2
    BICUBIC = CUBIC = 3
    AREA = 4
    PILCUBIC = 5


class Border(str, Enum):
    """Padding modes: CONSTANT (``fill_value``), EDGE (repeat the last pixel), REFLECT (mirror without the
    edge pixel: 3 2 | 1 2 3 | 2 1) and SYMMETRIC (mirror with it: 2 1 | 1 2 3 | 3 2)."""

    CONSTANT = "constant"
    EDGE = "edge"
    REFLECT = "reflect"
    SYMMETRIC = "symmetric"


# numpy.pad's mode for each Border (OpenCV's BORDER_REFLECT_101 is numpy's "reflect", BORDER_REFLECT its "symmetric")
NP_PAD_MODE = {Border.CONSTANT: "constant", Border.EDGE: "edge", Border.REFLECT: "reflect",
               Border.SYMMETRIC: "symmetric"}
