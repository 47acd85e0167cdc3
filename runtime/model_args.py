"""``Model``'s argument checks (MindSpore's exception types and messages) and the training cell it builds for
every amp level and loss-scale manager (``_build_train_network``)."""

import logging
import numbers

from .amp.build import build_train_network
from .amp.loss_scale_manager import LossScaleManager

_AMP_LEVELS = ("O0", "O1", "O2", "O3", "auto")
logger = logging.getLogger("minispore")


def _check_int(value, name, lo, where="Model.train"):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"For '{where}', the argument '{name}' must be int, but got {type(value).__name__}")
    if value < lo:
        raise ValueError(f"For '{where}', the argument '{name}' must be {'>= 0' if lo == 0 else '> 0'}, "
                         f"but got {value}")
    return int(value)


def _check_bool(value, name, where):
    if not isinstance(value, bool):
        raise TypeError(f"For '{where}', the argument '{name}' must be bool, but got {type(value).__name__}")


def _check_dataset(dataset, name, where):
    if not (hasattr(dataset, "create_tuple_iterator") and hasattr(dataset, "get_dataset_size")):
        raise TypeError(f"For '{where}', the argument '{name}' must be a dataset (e.g. NumpySlicesDataset, "
                        f"GeneratorDataset), but got {type(dataset).__name__}")


_MODEL_KWARGS = ("loss_scale_manager", "keep_batchnorm_fp32", "boost_config_dict", "acc_level")


def _check_levels(level, boost_level):
    """MindSpore's checks of ``amp_level`` and ``boost_level`` (as build_train_network makes them)."""
    if not isinstance(level, str):
        raise TypeError(f"The argument `level` must be a string in {list(_AMP_LEVELS)}, but got type {type(level)}.")
    if level not in _AMP_LEVELS:
        raise ValueError(f"The 'level' should be in : {list(_AMP_LEVELS)}, but got {level} (Model's 'amp_level').")
    if boost_level not in ("O0", "O1", "O2"):
        raise ValueError(f"The 'boost_level' should be in : ['O0', 'O1', 'O2'], but got {boost_level}.")
    if boost_level != "O0":
        logger.warning("boost_level %r: minispore has no boost mode; training runs without it", boost_level)


def _build_train_network(network, optimizer, loss_fn=None, level="O0", boost_level="O0", loss_scale_manager=None,
                         keep_batchnorm_fp32=None):
    """The training cell ``Model`` trains: every amp level and loss-scale manager goes through here.

    ``loss_fn`` wraps the network in ``WithLossCell``. A manager with an update cell (dynamic scaling, or a
    fixed scale that drops overflowing steps) gives ``nn.TrainOneStepWithLossScaleCell(net, optimizer,
    scale_sense=update_cell)``, which returns ``(loss, overflow, loss_scale)``; a manager without one
    (``FixedLossScaleManager(drop_overflow_update=False)``) gives ``nn.TrainOneStepCell(net, optimizer,
    sens=loss_scale)``, whose gradients the optimizer's own ``loss_scale`` divides back. Unlike MindSpore's
    CPU build, every manager works on every target. The precision level and the manager's wiring are
    ``minispore.amp.build_train_network``'s (O2 brings a DynamicLossScaleManager unless one is given)."""
    _check_levels(level, boost_level)
    if loss_scale_manager is not None and not isinstance(loss_scale_manager, LossScaleManager):
        raise TypeError(f"The type of `loss_scale_manager` should be 'LossScaleManager', but got "
                        f"'{loss_scale_manager}' with type '{type(loss_scale_manager).__name__}'.")
    if keep_batchnorm_fp32 is not None and not isinstance(keep_batchnorm_fp32, bool):
        raise TypeError(f"The type of `keep_batchnorm_fp32` should be 'bool', but got '{keep_batchnorm_fp32}' "
                        f"with type '{type(keep_batchnorm_fp32).__name__}'.")
    kwargs = {k: v for k, v in (("loss_scale_manager", loss_scale_manager),
                                ("keep_batchnorm_fp32", keep_batchnorm_fp32)) if v is not None}
    return build_train_network(network, optimizer, loss_fn, level=level, boost_level=boost_level, **kwargs)
