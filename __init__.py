"""minispore: a compiled static-graph training runtime with MindSpore's user API.

``import minispore as ms`` then write MindSpore code: networks, losses, optimizers and the
training step are traced into one graph, optimised and lowered to Numba kernels.
"""
# ruff: noqa: F401, F403, E402, I001  (import order matters: ops registers primitives, runtime installs the compiler)

from . import graph, ops
from . import runtime
from .graph.dtype import (
    Type, bool_, double, dtype_to_nptype, float16, float32, float64, half, int8, int16, int32, int64,
    single, uint8, uint16, uint32, uint64,
)
from .graph.tensor import Tensor
from .graph.sparse_tensor import COOTensor, CSRTensor
from .graph.parameter import Parameter, ParameterTuple
from .ops.row_tensor import RowTensor  # MindSpore's row-sparse gradient (indices, values, dense_shape)
from .ops.grad_api import grad, value_and_grad
from .runtime.context import GRAPH_MODE, PYNATIVE_MODE, get_context, set_context
from . import nn
from . import dataset, train
from .train import *  # Model, callbacks, metrics, loss-scale managers: MindSpore 2.x exports train's names at the top
from . import amp
from .runtime.communication import (ParallelMode, get_auto_parallel_context, reset_auto_parallel_context,
                                    set_auto_parallel_context)
from . import communication
from .runtime.checkpoint import load_checkpoint, load_param_into_net, save_checkpoint  # mindspore.save_checkpoint ...
from .graph.jit import JitConfig, jit
from . import common, context
from .common import set_seed

dtype = graph.dtype
__version__ = "0.1.0"
