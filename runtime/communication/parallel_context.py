"""The auto-parallel context: ``set_auto_parallel_context``, ``get_auto_parallel_context``,
``reset_auto_parallel_context`` and ``ParallelMode``, with MindSpore's checks and messages.

The values live on ``SESSION.parallel`` (the ground floor), where ``nn.TrainOneStepCell`` reads them when it
is built: in ``data_parallel`` mode it inserts ``nn.DistributedGradReducer``. minispore runs data parallel
only (as MindSpore's CPU build: "only data parallel supported on CPU"); the other modes are refused.

Gradient buckets (``comm_fusion``, MindSpore's meaning): ``{"allreduce": {"mode": "auto", "config": None}}``
fuses gradients into buckets of at most 64 MB, ``"size"`` of at most ``config`` MB, ``"index"`` splits at
the parameter indices ``config`` (as ``all_reduce_fusion_config=[i1, i2, ...]``: bucket k holds parameters
i_k <= index < i_{k+1}).
"""

import numbers

from ...graph.session import SESSION


class ParallelMode:
    """MindSpore's parallel modes (``ms.ParallelMode.DATA_PARALLEL`` ...)."""

    STAND_ALONE = "stand_alone"
    DATA_PARALLEL = "data_parallel"
    HYBRID_PARALLEL = "hybrid_parallel"
    SEMI_AUTO_PARALLEL = "semi_auto_parallel"
    AUTO_PARALLEL = "auto_parallel"
    MODE_LIST = [STAND_ALONE, DATA_PARALLEL, HYBRID_PARALLEL, SEMI_AUTO_PARALLEL, AUTO_PARALLEL]


_SUPPORTED_MODES = (ParallelMode.STAND_ALONE, ParallelMode.DATA_PARALLEL)
_FUSION_MODES = ("auto", "size", "index")
AUTO_FUSION_MB = 64  # MindSpore's "auto" threshold


def _defaults():
    return {"parallel_mode": ParallelMode.STAND_ALONE, "gradients_mean": False, "device_num": 1,
            "device_num_is_set": False, "global_rank": 0, "all_reduce_fusion_config": [],
            "comm_fusion": {"allreduce": {"mode": "auto", "config": AUTO_FUSION_MB}}}


def _type_error(name, expected, value):
    # MindSpore's args_type_check message
    return TypeError(f"The parameter '{name}' must be {expected}, but got {type(value)}")


def _check_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _type_error(name, "int", value)
    return int(value)


def _parallel_mode(value):
    if not isinstance(value, str):
        raise _type_error("parallel_mode", "str", value)
    if value not in ParallelMode.MODE_LIST:
        raise ValueError("The context configuration parameter 'parallel_mode' only support 'stand_alone', "
                         "'data_parallel', 'hybrid_parallel', 'semi_auto_parallel' and 'auto_parallel', "
                         f"but got the value : {value}.")
    if value not in _SUPPORTED_MODES:
        raise ValueError(f"For 'set_auto_parallel_context', minispore runs 'stand_alone' and 'data_parallel' only "
                         f"(as MindSpore's CPU build: only data parallel is supported on CPU), but got {value!r}")
    return value


def _gradients_mean(value):
    if not isinstance(value, bool):
        raise _type_error("gradients_mean", "bool", value)
    return value


def _device_num(value):
    value = _check_int("device_num", value)
    if value < 1 or value > 4096:
        raise ValueError("The context configuration parameter 'device_num' must be in [1, 4096], "
                         f"but got the value of device_num : {value}.")
    return value


def _global_rank(value):
    value = _check_int("global_rank", value)
    if value < 0 or value > 4095:
        raise ValueError("The context configuration parameter 'global_rank' must be in [0, 4095], "
                         f"but got the value of global_rank : {value}.")
    return value


def _split_indices(indices):
    where = "For 'set_auto_parallel_context().set_all_reduce_fusion_split_indices', "
    if not isinstance(indices, list):
        raise TypeError(f"{where}the argument 'indices' must be list, but got the type : {type(indices)} .")
    if not indices:
        raise ValueError(f"{where}the argument 'indices' can not be empty")
    for index in indices:
        if not isinstance(index, int) or isinstance(index, bool):
            raise TypeError(f"{where}the argument 'index' must be int, but got the type : {type(index)} .")
    if len(set(indices)) != len(indices):
        raise ValueError("The indices has duplicate elements")
    if sorted(indices) != indices:
        raise ValueError(f"{where}the elements in argument 'indices' must be sorted in ascending order")
    return list(indices)


def _comm_fusion(config):
    if not isinstance(config, dict):
        raise _type_error("comm_fusion", "dict", config)
    for key in config:
        if key != "allreduce":
            raise KeyError(f"comm fusion type must be allreduce, allgather or reducescatter, but got {key}"
                           + (" (minispore fuses all-reduces only)" if key in ("allgather", "reducescatter") else ""))
    fusion = config.get("allreduce")
    if fusion is None:
        return None
    if not isinstance(fusion, dict):
        raise TypeError(f"For 'comm_fusion', the 'allreduce' config must be dict, but got the type : {type(fusion)}.")
    if "mode" not in fusion:
        raise KeyError("For 'comm_fusion', the key 'mode' should be contained.")
    if "config" not in fusion:
        raise KeyError("For 'comm_fusion', the key 'config' should be contained.")
    mode = fusion["mode"]
    if mode not in _FUSION_MODES:
        raise KeyError(f"fusion method mode must be auto, index or size, but got {mode}")
    if mode == "auto":
        return {"allreduce": {"mode": "auto", "config": AUTO_FUSION_MB}}
    if mode == "size":
        size = fusion["config"]
        if isinstance(size, bool) or not isinstance(size, numbers.Real):
            raise _type_error("comm_fusion's size config", "int or float (MB)", size)
        if size < 0:
            raise ValueError(f"fusion threshold must be larger than 0, but got {size}")
        return {"allreduce": {"mode": "size", "config": size}}
    return {"allreduce": {"mode": "index", "config": _split_indices(fusion["config"])}}


_SETTERS = {"parallel_mode": _parallel_mode, "gradients_mean": _gradients_mean, "device_num": _device_num,
            "global_rank": _global_rank, "all_reduce_fusion_config": _split_indices, "comm_fusion": _comm_fusion}


def _state():
    if not SESSION.parallel:
        SESSION.parallel.update(_defaults())
    return SESSION.parallel


def set_auto_parallel_context(**kwargs):
    """Set ``parallel_mode`` ('stand_alone' or 'data_parallel'), ``gradients_mean`` (bool: divide the summed
    gradients by the degree), ``device_num`` (1..4096: the degree; default the group size),
    ``global_rank``, ``all_reduce_fusion_config`` (ascending parameter indices splitting the buckets) and
    ``comm_fusion`` (see the module docstring). Every value is checked before any is set. The training
    cells read the context when they are built: set it before building them."""
    new = {}
    for key, value in kwargs.items():
        if key not in _SETTERS:
            raise ValueError(f"For 'context.set_auto_parallel_context', the keyword argument {key} is not "
                             "recognized! For detailed usage of 'set_auto_parallel_context', please refer to the "
                             "Mindspore official website.")
        new[key] = _SETTERS[key](value)
    state = _state()
    if "all_reduce_fusion_config" in new:  # the split indices are the "index" fusion mode
        new.setdefault("comm_fusion", {"allreduce": {"mode": "index", "config": new["all_reduce_fusion_config"]}})
    if new.get("comm_fusion") is None:
        new.pop("comm_fusion", None)
    elif new["comm_fusion"]["allreduce"]["mode"] == "index":
        new["all_reduce_fusion_config"] = new["comm_fusion"]["allreduce"]["config"]
    if "device_num" in new:
        new["device_num_is_set"] = True
    state.update(new)


def get_auto_parallel_context(attr_key):
    """The value of one key of the auto-parallel context (``device_num`` is the group size when unset)."""
    if attr_key not in _SETTERS:
        raise ValueError(f"For 'context.get_auto_parallel_context', the argument {attr_key} is not supported! "
                         "For detailed usage of 'get_auto_parallel_context', please refer to the Mindspore "
                         "official website.")
    state = _state()
    if attr_key == "device_num" and not state["device_num_is_set"]:
        world = SESSION.communicator
        return 1 if world is None else world.size
    value = state[attr_key]
    return [*value] if isinstance(value, list) else value


def reset_auto_parallel_context():
    """Every key back to its default (stand_alone, gradients_mean False, device_num 1, auto fusion)."""
    SESSION.parallel.clear()
    SESSION.parallel.update(_defaults())
