"""``minispore.common`` (MindSpore's ``mindspore.common``): ``dtype``, ``initializer``, ``Parameter``,
``ParameterTuple``, ``Tensor``, ``set_seed``, ``jit`` re-exported, and the module paths scripts import
(``import minispore.common.dtype as mstype``, ``from minispore.common.initializer import Normal``,
``from minispore.common.parameter import Parameter``, ``from minispore.common.tensor import Tensor``) as
aliases of the modules that define them: one object under both names, nothing defined twice.
"""
# ruff: noqa: F401

import sys

from .graph import dtype, parameter, tensor
from .graph import jit as _jit_module
from .graph.dtype import (  # (mindspore.common exports the dtypes too)
    Type,
    bool_,
    double,
    dtype_to_nptype,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    single,
    uint8,
    uint16,
    uint32,
    uint64,
)
from .graph.jit import JitConfig, jit
from .graph.parameter import Parameter, ParameterTuple
from .graph.tensor import Tensor
from .nn import initializer
from .nn.initializer import set_seed as _set_initializer_seed
from .runtime.dataset import config as _dataset_config

for _name, _module in (("dtype", dtype), ("initializer", initializer), ("parameter", parameter),
                       ("tensor", tensor), ("api", _jit_module)):
    sys.modules[f"{__name__}.{_name}"] = _module
del _name, _module


def set_seed(seed):
    """Seed minispore's initializers, random ops and dataset shuffling (MindSpore's ``set_seed``)."""
    _set_initializer_seed(seed)
    _dataset_config.set_seed(seed)


__all__ = ["dtype", "initializer", "Parameter", "ParameterTuple", "Tensor", "set_seed", "jit", "JitConfig"]
