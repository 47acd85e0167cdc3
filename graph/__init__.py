"""Tensors, dtypes and the graph IR (tracing, autodiff, passes, dumps). Never imports numba."""

from . import dtype  # noqa: F401
from .ir import Graph, Node  # noqa: F401
from .parameter import Parameter, ParameterTuple  # noqa: F401
from .tensor import Tensor  # noqa: F401
