"""``build_train_network``: network + loss + optimizer at a precision level, with its loss scaling, as one
training cell (MindSpore's ``mindspore.amp.build_train_network``, which ``Model`` uses for ``amp_level``).

Unlike MindSpore's CPU build, every loss-scale manager works on every target here: the overflow check,
the scale update and the skipped step are nodes of the one compiled step.
"""

import logging

from ... import nn, ops
from ...graph import dtype as mstype
from ...graph.cell import Cell
from .loss_scale_manager import DynamicLossScaleManager
from .mixed_precision import AMP_BLACK_LIST, _OutputTo, auto_mixed_precision, keep_float32

_ARGS = ("cast_model_type", "keep_batchnorm_fp32", "loss_scale_manager")
logger = logging.getLogger("minispore")


def _config_level(level):
    """MindSpore's per-level defaults (O2 brings a DynamicLossScaleManager)."""
    return {
        "O0": {"keep_batchnorm_fp32": False, "cast_model_type": mstype.float32, "loss_scale_manager": None},
        "O1": {"keep_batchnorm_fp32": False, "cast_model_type": mstype.float32, "loss_scale_manager": None},
        "O2": {"keep_batchnorm_fp32": True, "cast_model_type": mstype.float16,
               "loss_scale_manager": DynamicLossScaleManager()},
        "O3": {"keep_batchnorm_fp32": False, "cast_model_type": mstype.float16, "loss_scale_manager": None},
    }[level]


class _LossInFloat32(Cell):
    """``loss_fn(cast(out, float32), cast(label, float32))``: the loss is always computed in float32."""

    def __init__(self, backbone, loss_fn):
        super().__init__(auto_prefix=False)
        self._backbone = backbone
        self._loss_fn = loss_fn

    def construct(self, data, label):
        out = self._backbone(data)
        return self._loss_fn(_float32(out), _float32(label))


def _float32(t):
    return ops.cast(t, mstype.float32) if mstype.is_float(t.dtype.np) else t


def _check_args(level, kwargs):
    if level not in ("O0", "O1", "O2", "O3", "auto"):
        raise ValueError(f"For 'build_train_network', the argument 'level' must be one of ['O0', 'O1', 'O2', 'O3', "
                         f"'auto'], but got {level!r}.")
    for key in kwargs:
        if key not in _ARGS:
            raise ValueError(f"Unsupported arg '{key}' in 'build_train_network'; supported: {list(_ARGS)}")


def _cast_network(network, level, config):
    cast_type = config["cast_model_type"]
    if cast_type != mstype.float32:  # float16, or ml_dtypes' bfloat16
        network.to_float(cast_type)
        if config["keep_batchnorm_fp32"]:
            keep_float32(network, AMP_BLACK_LIST, cast_type)
        return _OutputTo(network, mstype.float32)
    if level == "O1":
        return auto_mixed_precision(network, "O1")
    return network


def build_train_network(network, optimizer, loss_fn=None, level="O0", boost_level="O0", **kwargs):
    """The training cell of ``network`` (+ ``loss_fn``) and ``optimizer`` at amp ``level`` (O0-O3; 'auto' is
    O2 on GPU and O3 on Ascend and not available on CPU, as in MindSpore). kwargs ``cast_model_type``,
    ``keep_batchnorm_fp32``, ``loss_scale_manager`` override the level's defaults. With a manager that has
    an update cell: ``TrainOneStepWithLossScaleCell``; otherwise ``TrainOneStepCell`` whose backward seed
    is the manager's fixed scale (the optimizer's ``loss_scale`` divides it back out)."""
    _check_args(level, kwargs)
    if level == "auto":
        raise ValueError("Level `auto` only support when `device_target` is GPU or Ascend.")
    config = dict(_config_level(level), **kwargs)
    network = _cast_network(network, level, config)
    if loss_fn is not None:
        loss_network = (_LossInFloat32(network, loss_fn) if config["cast_model_type"] != mstype.float32
                        else nn.WithLossCell(network, loss_fn))
    else:
        loss_network = network
    manager = config["loss_scale_manager"]
    if manager is not None and manager.get_update_cell() is not None:
        return nn.TrainOneStepWithLossScaleCell(loss_network, optimizer,
                                                scale_sense=manager.get_update_cell()).set_train()
    if manager is None:
        return nn.TrainOneStepCell(loss_network, optimizer).set_train()
    scale = manager.get_loss_scale()
    if optimizer.loss_scale != scale:  # the guide's rule: the optimizer divides the manager's scale back out
        logger.warning("%s(loss_scale=%s, drop_overflow_update=False) scales the gradients by %s, but the optimizer's "
                       "loss_scale is %s: it applies %s times the true gradients; give it loss_scale=%s",
                       type(manager).__name__, scale, scale, optimizer.loss_scale, scale / optimizer.loss_scale, scale)
    return nn.TrainOneStepCell(loss_network, optimizer, sens=scale).set_train()
