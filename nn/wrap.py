"""Training wrappers: WithLossCell, TrainOneStepCell, WithEvalCell.

``TrainOneStepCell`` is the whole training step: forward, loss, gradients and the optimizer
update trace into ONE graph; its call returns the loss and updates the parameters in place.
"""

from .. import ops
from ..graph import dtype as mstype
from ..graph import trace
from ..graph.cell import Cell
from ..ops.grad_api import value_and_grad
from ..optim.optimizer import Optimizer
from .distributed import DATA_PARALLEL, DistributedGradReducer, broadcast_parameters, parallel_setting


class WithLossCell(Cell):
    """loss = loss_fn(backbone(data), label)."""

    def __init__(self, backbone, loss_fn):
        super().__init__(auto_prefix=False)
        if not isinstance(backbone, Cell):
            raise TypeError(f"For 'WithLossCell', backbone must be a Cell, but got {type(backbone).__name__}")
        self._backbone = backbone
        self._loss_fn = loss_fn

    def construct(self, data, label):
        return self._loss_fn(self._backbone(data), label)

    @property
    def backbone_network(self):
        return self._backbone


class TrainOneStepCell(Cell):
    """One training step: loss = network(*inputs); grads = d(sens * loss)/d(weights) (``sens`` seeds the
    backward, as MindSpore's ``fill(loss.dtype, loss.shape, sens)``; None or 1.0: no scaling);
    optimizer(grads); returns loss (computed before the update, never scaled).

    In the ``data_parallel`` auto-parallel mode (set before building the cell) the gradients go through an
    ``nn.DistributedGradReducer`` of the optimizer's parameters before the optimizer, and the first call
    broadcasts every Parameter of the cell from rank 0, so all ranks start from the same state."""

    def __init__(self, network, optimizer, sens=1.0):
        super().__init__(auto_prefix=False)
        if not isinstance(network, Cell):
            raise TypeError(f"For 'TrainOneStepCell', network must be a Cell, but got {type(network).__name__}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"For 'TrainOneStepCell', optimizer must be an Optimizer, but got "
                            f"{type(optimizer).__name__}")
        self.network = network
        self.optimizer = optimizer
        self.weights = optimizer.parameters
        self.sens = None if sens is None else float(sens)
        self.grad_reducer = None
        if parallel_setting("parallel_mode", "stand_alone") == DATA_PARALLEL:
            self.grad_reducer = DistributedGradReducer(self.weights)
        object.__setattr__(self, "_parameters_synced", False)

    def sync_parameters(self):
        """Data parallel: every Parameter (weights, optimizer state, step counters) from rank 0, once, before
        the first step (``Model.train`` calls it; so does the first call of the cell)."""
        if self.grad_reducer is not None and not self._parameters_synced:
            broadcast_parameters([p for _, p in self.parameters_and_names()])
        object.__setattr__(self, "_parameters_synced", True)

    def __call__(self, *args, **kwargs):
        if trace.current() is None and not self._parameters_synced:
            self.sync_parameters()
        return super().__call__(*args, **kwargs)

    def construct(self, *inputs):
        sens = self.sens
        loss, grads = self._value_and_grad(inputs, None if sens in (None, 1.0) else lambda loss: sens)
        if self.grad_reducer is not None:
            grads = self.grad_reducer(grads)
        return ops.depend(loss, self.optimizer(grads))

    def _value_and_grad(self, inputs, sens=None):
        """(loss, gradients of the weights) of ``network(*inputs)``, the backward seeded with
        ``ones_like(loss) * sens(loss)`` (MindSpore's sens; ones when ``sens`` is None). The returned loss
        is never scaled: the scale enters only the backward."""
        if sens is None:
            return value_and_grad(self.network, None, self.weights)(*inputs)

        def scaled(*args):
            loss = self.network(*args)
            return loss * sens(loss), loss  # d(loss * s)/d(loss) = s: the seed ones_like(loss) * s

        (_, loss), grads = value_and_grad(scaled, None, self.weights, has_aux=True)(*inputs)
        return loss, grads


class WithEvalCell(Cell):
    """(loss, outputs, label) for evaluation, in MindSpore's order (Model's eval_indexes [0, 1, 2]);
    ``add_cast_fp32`` casts float outputs to float32 first (a network converted to float16 by amp)."""

    def __init__(self, network, loss_fn, add_cast_fp32=False):
        super().__init__(auto_prefix=False)
        self._network = network
        self._loss_fn = loss_fn
        self.add_cast_fp32 = bool(add_cast_fp32)

    def construct(self, data, label):
        outputs = self._network(data)
        if self.add_cast_fp32 and mstype.is_float(outputs.dtype.np):
            outputs = ops.cast(outputs, mstype.float32)
        loss = self._loss_fn(outputs, label) if self._loss_fn is not None else outputs
        return loss, outputs, label


__all__ = ["WithLossCell", "TrainOneStepCell", "WithEvalCell"]
