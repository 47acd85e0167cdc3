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
from . import optim
