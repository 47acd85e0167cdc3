"""``load_checkpoint`` and ``load_param_into_net``: reading MindSpore's ``.ckpt`` files (and safetensors) written
by ``save_checkpoint`` (ckpt.py) or by MindSpore, with MindSpore's semantics and messages. A load first waits for a
pending asynchronous save (and raises its error)."""

import binascii
import logging
import os
from collections import OrderedDict

import numpy as np

from ...graph.cell import Cell
from ...graph.parameter import Parameter
from ...graph.tensor import Tensor
from . import proto
from .ckpt import _CRC_TAG, _FLOAT_KINDS, _INT_KINDS, _ms_type_of, _np_dtype, _wait_pending

logger = logging.getLogger("minispore")


def _check_prefix(prefix, what):
    if prefix is None:
        return ()
    items = (prefix,) if isinstance(prefix, str) else prefix
    if not isinstance(items, (list, tuple)) or not all(isinstance(p, str) for p in items):
        raise TypeError(f"For 'load_checkpoint', the type of '{what}' must be string, list[string] or "
                        f"tuple[string] when '{what}' is not None, but got {type(prefix)}.")
    for p in items:
        if p == "":
            raise ValueError(f"For 'load_checkpoint', the value of '{what}' can't be \"\" or the element of it "
                             "can't be \"\".")
    return tuple(items)


def _read_ckpt(path, crc_check):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ValueError(f"Failed to read the checkpoint file {path}. May not have permission to read it, please "
                         "check the correct of the file.") from e
    crc = None
    if len(data) >= 17 and data[-17:-10] == _CRC_TAG:
        crc = int.from_bytes(data[-10:], "big")
        data = data[:-17]
    if crc_check:
        if crc is None:
            raise ValueError(f"For 'load_checkpoint', the crc check is True, but the ckpt file {path} is not saved "
                             "with crc check.")
        if binascii.crc32(data) != crc:
            raise ValueError("For 'load_checkpoint', the crc check is failed, please check whether the ckpt file is "
                             f"damaged. File: {path}")
    try:
        values = proto.parse_checkpoint(data)
    except (proto.ProtoError, UnicodeDecodeError) as e:
        raise ValueError(f"Failed to read the checkpoint file {path}. The file may be corrupted, and the content "
                         f"cannot be parsed ({e}).") from e
    if not values:
        raise ValueError(f"Failed to read the checkpoint file {path}. The file may be corrupted, and the content "
                         "cannot be parsed (it holds no entries).")
    # Consecutive Values with the same tag are slices of one tensor.
    merged = []
    for tag, dims, ttype, content in values:
        if merged and merged[-1][0] == tag:
            merged[-1][3].append(content)
        else:
            merged.append((tag, dims, ttype, [content]))
    out = []
    for tag, dims, ttype, contents in merged:
        content = b"".join(bytes(c) for c in contents)
        if ttype == "str":
            out.append((tag, str(np.frombuffer(content, f"U{len(content) // 4}")[0]) if content else ""))
            continue
        dtype = _np_dtype(ttype)
        if dtype is None:
            raise ValueError(f"Failed to read the checkpoint file {path}: the data type '{ttype}' of '{tag}' is not "
                             "supported.")
        shape = () if dims == [0] else tuple(dims)
        count = int(np.prod(shape)) if shape else 1
        if len(content) != count * dtype.itemsize:
            raise ValueError(f"Failed to read the checkpoint file {path}. The file may be corrupted, and the content "
                             f"cannot be parsed ('{tag}' has {len(content)} bytes for shape {list(shape)} of "
                             f"{ttype}).")
        out.append((tag, np.frombuffer(content, dtype).reshape(shape).copy()))
    return out


def _read_safetensors(path, crc_check):
    from safetensors import safe_open

    try:
        with safe_open(path, framework="np") as f:
            metadata = f.metadata() or {}
            names = list(f.keys())
            arrays = {name: f.get_tensor(name) for name in names}
    except Exception as e:  # noqa: BLE001  (safetensors raises its own error types)
        raise ValueError(f"Failed to read the checkpoint file {path}. The file may be corrupted, and the content "
                         f"cannot be parsed ({e}).") from e
    if crc_check:
        if "crc_num" not in metadata:
            raise ValueError(f"For 'load_checkpoint', the crc check is True, but the ckpt file {path} is not saved "
                             "with crc check.")
        crc = 0
        for name in sorted(arrays):
            crc = binascii.crc32(np.asarray(arrays[name], order="C").tobytes(), crc)
        if str(crc) != metadata["crc_num"]:
            raise ValueError("For 'load_checkpoint', the crc check is failed, please check whether the ckpt file is "
                             f"damaged. File: {path}")
    out = [(name, np.array(arrays[name], copy=True)) for name in names]
    out += [(k, v) for k, v in metadata.items() if k not in ("format", "crc_num", "remove_redundancy")]
    return out


def load_checkpoint(ckpt_file_name, net=None, strict_load=False, filter_prefix=None, dec_key=None,
                    dec_mode="AES-GCM", specify_prefix=None, choice_func=None, crc_check=False,
                    remove_redundancy=False, format="ckpt"):
    """Read a ``.ckpt`` (or ``.safetensors``) file: a dict name -> Parameter (str for string entries), in
    file order; with ``net``, also ``load_param_into_net(net, ...)`` (MindSpore's ``load_checkpoint``)."""
    if format not in ("ckpt", "safetensors"):
        raise ValueError(f"For 'load_checkpoint', this parameter `format` should be 'ckpt' or 'safetensors', but "
                         f"got {format}.")
    if not isinstance(ckpt_file_name, str):
        raise TypeError(f"For 'load_checkpoint', the argument 'ckpt_file_name' must be string, but got "
                        f"{type(ckpt_file_name)}.")
    if not ckpt_file_name.endswith((".ckpt", ".safetensors")):
        raise ValueError("For 'load_checkpoint', the checkpoint file should end with '.ckpt' or '.safetensors', "
                         f"please input the correct 'ckpt_file_name', but got {ckpt_file_name}.")
    path = os.path.realpath(ckpt_file_name)
    _wait_pending()
    if not os.path.exists(path):
        raise ValueError(f"For 'load_checkpoint', the checkpoint file: {ckpt_file_name} does not exist, please "
                         "check whether the 'ckpt_file_name' is correct.")
    if not isinstance(crc_check, bool):
        raise TypeError(f"For 'load_checkpoint', the argument 'crc_check' should be bool, but got {type(crc_check)}.")
    if dec_key is not None:
        raise NotImplementedError("For 'load_checkpoint', decryption (dec_key) is not supported by minispore.")
    filters = _check_prefix(filter_prefix, "filter_prefix")
    specify = _check_prefix(specify_prefix, "specify_prefix")
    if filters and specify and any(s.startswith(f) or f.startswith(s) for s in specify for f in filters):
        raise ValueError("For 'load_checkpoint', the 'filter_prefix' and 'specify_prefix' can not have overlap, "
                         f"but got filter_prefix={filter_prefix} and specify_prefix={specify_prefix}.")
    if choice_func is not None and not callable(choice_func):
        raise TypeError("For 'load_checkpoint', the argument 'choice_func' should be a function.")
    is_st = format == "safetensors" or path.endswith(".safetensors")
    entries = (_read_safetensors if is_st else _read_ckpt)(path, crc_check)
    parameter_dict = OrderedDict()
    for name, value in entries:
        if specify and not name.startswith(specify):
            continue
        if filters and name.startswith(filters):
            continue
        if choice_func is not None and not choice_func(name):
            continue
        parameter_dict[name] = value if isinstance(value, str) else Parameter(Tensor(value), name=name)
    if not parameter_dict:
        raise ValueError("The loaded parameter dict is empty after filter or specify, please check whether "
                         "'filter_prefix' or 'specify_prefix' are set correctly.")
    if net is not None:
        load_param_into_net(net, parameter_dict, strict_load=strict_load, remove_redundancy=remove_redundancy)
    return dict(parameter_dict)


def _ms_type(arr):
    return _ms_type_of(arr.dtype) or str(arr.dtype)


def _update_param(param, new_param, strict_load):
    """Copy ``new_param``'s value into ``param`` (MindSpore's ``_update_param``)."""
    if isinstance(new_param, str):
        raise TypeError(f"For 'load_param_into_net', the value of '{param.name}' in the argument 'parameter_dict' "
                        "should be Parameter, but got str.")
    new = new_param.asnumpy() if isinstance(new_param, Tensor) else np.asarray(new_param)
    if tuple(param.shape) != tuple(new.shape):
        raise RuntimeError(f"For 'load_param_into_net', {param.name} in the argument 'net' should have the same shape "
                           f"as {param.name} in the argument 'parameter_dict'. But got its shape {tuple(param.shape)} "
                           f"in the argument 'net' and shape {tuple(new.shape)} in the argument 'parameter_dict'.May "
                           "you need to check whether the checkpoint you loaded is correct or the batch size and so "
                           "on in the 'net' and 'parameter_dict' are same.")
    target = np.dtype(param.dtype.np)
    if new.dtype != target:
        kinds = {_ms_type(new), _ms_type_of(target) or str(target)}
        if strict_load or not (kinds <= _FLOAT_KINDS or kinds <= _INT_KINDS):
            raise RuntimeError(f"For 'load_param_into_net', {param.name} in the argument 'net' should have the same "
                               f"type as {param.name} in the argument 'parameter_dict'. but got its type "
                               f"{param.dtype} in the argument 'net' and type {_ms_type(new)} in the argument "
                               "'parameter_dict'.")
        new = new.astype(target)
    param.set_data(np.asarray(new, order="C"))


def _load_dismatch_prefix_params(net, parameter_dict, param_not_load, strict_load, loaded):
    """Retry the Parameters not loaded under a name prefix the checkpoint's names carry (MindSpore's)."""
    prefix_name = ""
    longest_name = param_not_load[0]
    while prefix_name != longest_name and param_not_load:
        prefix_name = longest_name
        for net_param_name in param_not_load:
            for dict_name in parameter_dict:
                if dict_name.endswith(net_param_name):
                    prefix_name = dict_name[:-len(net_param_name)]
                    break
            if prefix_name != longest_name:
                break
        if prefix_name != longest_name:
            logger.warning("The loading parameter has a name prefix: %s, will try to load again.", prefix_name)
            for _, param in net.parameters_and_names():
                new_name = prefix_name + param.name
                if param.name in param_not_load and new_name in parameter_dict:
                    _update_param(param, parameter_dict[new_name], strict_load)
                    param_not_load.remove(param.name)
                    loaded.add(new_name)


def load_param_into_net(net, parameter_dict, strict_load=False, remove_redundancy=False):
    """Copy the values of ``parameter_dict`` into ``net``'s Parameters of the same names; return
    ``(param_not_load, ckpt_not_load)``: the net's names not loaded, the dict's names not used."""
    if not isinstance(net, Cell):
        raise TypeError(f"For 'load_param_into_net', the argument 'net' should be a Cell, but got {type(net)}.")
    if not isinstance(parameter_dict, dict):
        raise TypeError(f"For 'load_param_into_net', the argument 'parameter_dict' should be a dict, but got "
                        f"{type(parameter_dict)}.")
    if not isinstance(strict_load, bool):
        raise TypeError(f"For 'load_param_into_net', the argument 'strict_load' should be a bool, but got "
                        f"{type(strict_load)}.")
    for key, value in parameter_dict.items():
        if not isinstance(key, str) or not isinstance(value, (Parameter, Tensor, str)):
            raise TypeError("For 'load_param_into_net', the argument 'parameter_dict' should be a dict of str to "
                            f"Parameter, but got the item {key!r}: {type(value).__name__}.")
    _wait_pending()
    param_not_load, loaded = [], set()
    for _, param in net.parameters_and_names():
        if param.name in parameter_dict:
            _update_param(param, parameter_dict[param.name], strict_load)
            loaded.add(param.name)
        elif not param.name.startswith("accu_grads"):
            param_not_load.append(param.name)
    if param_not_load and not strict_load:
        _load_dismatch_prefix_params(net, parameter_dict, param_not_load, strict_load, loaded)
    ckpt_not_load = [name for name in parameter_dict if name not in loaded]
    if param_not_load:
        logger.warning("%d parameters in the 'net' are not loaded, because they are not in the 'parameter_dict', "
                       "please check whether the network structure is consistent when training and loading "
                       "checkpoint.", len(param_not_load))
        for name in param_not_load:
            logger.warning("%s is not loaded.", name)
    return param_not_load, ckpt_not_load
