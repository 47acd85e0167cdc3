"""minispore.nn: Cells, layers, losses, wrappers, initializers and optimizers."""
# ruff: noqa: F401, F403, E402, I001  (nn re-exports optim: MindSpore users find optimizers in nn)

from . import initializer
from ..graph.cell import Cell
from .container import CellList, SequentialCell
from .layers import *
from .loss import *
from .distributed import DistributedGradReducer
from .wrap import TrainOneStepCell, WithEvalCell, WithLossCell
from .loss_scale import DynamicLossScaleUpdateCell, FixedLossScaleUpdateCell, TrainOneStepWithLossScaleCell
from ..optim import *
from .. import optim
from ..graph import cell
from ..graph.aliases import alias_module
from ..optim import dynamic_lr, learning_rate_schedule
from . import layers, wrap, loss_scale

# The module paths MindSpore scripts import (``from mindspore.nn.cell import Cell``, ``from mindspore.nn.optim.momentum
# import Momentum``, ``from mindspore.nn.wrap.cell_wrapper import WithLossCell``): aliases of the defining modules.
# ``mindspore.nn.metrics`` (and Accuracy, Loss, Metric in nn) is registered by minispore.train: metrics live above nn.
layer = layers
for _name, _module in (("optim", optim), ("cell", cell), ("layer", layers), ("dynamic_lr", dynamic_lr),
                       ("learning_rate_schedule", learning_rate_schedule), ("wrap.cell_wrapper", wrap),
                       ("wrap.loss_scale", loss_scale)):
    alias_module(f"{__name__}.{_name}", _module)
del _name, _module
