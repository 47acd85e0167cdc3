"""``save_checkpoint``, ``load_checkpoint``, ``load_param_into_net``: MindSpore's ``.ckpt`` files (and
``format="safetensors"``), with MindSpore's semantics and messages.

What a Cell saves is ``parameters_and_names()`` by Parameter name: for a training cell the network's
Parameters, the optimizer's state (``global_step``, ``learning_rate``, ``moments.*``, ...), loss-scale
state and dropout counters, i.e. everything a resume needs.

Saving is atomic: the file is written as ``<name>.tmp`` in the same folder (MindSpore's temporary name),
flushed and fsynced, then renamed over ``<name>`` with ``os.replace`` and the folder fsynced. A reader
sees the old file or the new one, never half of one. A save that fails removes its temporary file; a
process killed mid-save may leave a stale ``<name>.tmp``, which the next save of that name removes
first (it is never read). As in MindSpore the saved file is made read-only (``S_IRUSR``).

``async_save=True`` snapshots the values (numpy copies) at the call, then writes in a thread: training on
does not change what is saved. The next save or load waits for a pending one (and raises its error).
"""

import binascii
import logging
import math
import os
import stat
import sys
import threading
from collections import OrderedDict

import numpy as np

from ...graph.cell import Cell
from ...graph.parameter import Parameter
from ...graph.tensor import Tensor
from . import proto

logger = logging.getLogger("minispore")

SLICE_SIZE = 512 * 1024  # KB: a tensor larger than this is written as several same-tag Values (MindSpore's)
_CRC_TAG = b"crc_num"

_NP_TO_MS = {np.dtype(np.int8): "Int8", np.dtype(np.uint8): "UInt8", np.dtype(np.int16): "Int16",
             np.dtype(np.uint16): "UInt16", np.dtype(np.int32): "Int32", np.dtype(np.uint32): "UInt32",
             np.dtype(np.int64): "Int64", np.dtype(np.uint64): "UInt64", np.dtype(np.float16): "Float16",
             np.dtype(np.float32): "Float32", np.dtype(np.float64): "Float64", np.dtype(np.bool_): "Bool"}
# Loading accepts both spellings ("UInt8" and the 1.x/2.0 "Uint8"): keyed by the lower-case name.
_MS_TO_NP = {v.lower(): k for k, v in _NP_TO_MS.items()}


# bfloat16 is ml_dtypes' dtype (optional dependency). Importing ml_dtypes costs about 1 s of CPU, most of a
# warm start-up, so it is imported only when a checkpoint holds a bfloat16 tensor: saving one means the
# program already imported it (sys.modules), loading one imports it here.
def _ms_type_of(dtype):
    ml_dtypes = sys.modules.get("ml_dtypes")
    if ml_dtypes is not None and dtype == np.dtype(ml_dtypes.bfloat16):
        return "BFloat16"
    return _NP_TO_MS.get(dtype)


def _np_dtype(ms_type):
    if ms_type.lower() == "bfloat16":
        try:
            import ml_dtypes
        except ImportError:  # pragma: no cover
            return None
        return np.dtype(ml_dtypes.bfloat16)
    return _MS_TO_NP.get(ms_type.lower())


_FLOAT_KINDS = {"Float16", "Float32", "Float64", "BFloat16"}
_INT_KINDS = {"Int8", "Int16", "Int32", "Int64"}

# ---- the pending asynchronous save ---------------------------------------------------------------
_LOCK = threading.Lock()
_PENDING = {"thread": None, "error": None}


def _wait_pending():
    """Wait for a pending asynchronous save; re-raise its error, if it failed."""
    with _LOCK:
        thread = _PENDING["thread"]
    if thread is not None:
        thread.join()
    with _LOCK:
        if _PENDING["thread"] is thread:
            _PENDING["thread"] = None
        error, _PENDING["error"] = _PENDING["error"], None
    if error is not None:
        raise error


# ---- atomic write ---------------------------------------------------------------------------------
def _fsync_dir(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_atomic(path, write):
    """Write ``path`` through ``<path>.tmp``: ``write(f)`` fills it, then flush, fsync, ``os.replace``,
    fsync of the folder. A stale ``<path>.tmp`` of a killed save is removed first; a failure removes
    the temporary file and leaves any previous file whole."""
    folder = os.path.dirname(path) or "."
    tmp = path + ".tmp"
    if os.path.lexists(tmp):  # a stale temporary file of a killed save
        os.unlink(tmp)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, stat.S_IRUSR)  # MindSpore leaves checkpoints read-only
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


# ---- what is saved ----------------------------------------------------------------------------------
def _to_numpy(value, where):
    if isinstance(value, Tensor):  # Parameter included: read through the device target's storage
        return np.array(value.asnumpy(), copy=True)
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)
    if isinstance(value, (bool, np.bool_)):
        return np.array(value, np.bool_)
    if isinstance(value, (int, np.integer)):
        return np.array(value, np.int64)
    if isinstance(value, (float, np.floating)):
        return np.array(value, np.float32)
    raise TypeError(f"For 'save_checkpoint', {where} should be Tensor, Parameter, int, float, bool or str, "
                    f"but got {type(value).__name__}.")


def _snapshot(save_obj, append_dict, choice_func):
    """[(name, ndarray copy or str)] in save order, taken now (async saves write them later)."""
    entries = OrderedDict()
    if isinstance(save_obj, Cell):
        for _, p in save_obj.parameters_and_names():
            entries[p.name] = p
    elif isinstance(save_obj, dict):
        for name, value in save_obj.items():
            entries[str(name)] = value
    elif isinstance(save_obj, list):
        for item in save_obj:
            if isinstance(item, Parameter):
                entries[item.name] = item
            elif isinstance(item, dict):
                if "name" not in item or "data" not in item:
                    raise ValueError("For 'save_checkpoint', each dict in the list 'save_obj' should have the keys "
                                     f"'name' and 'data', but got {sorted(item)}.")
                entries[item["name"]] = item["data"]
            else:
                raise TypeError("For 'save_checkpoint', the elements of the list 'save_obj' should be Parameter or "
                                f"dict, but got {type(item).__name__}.")
    else:
        raise TypeError("For 'save_checkpoint', the parameter 'save_obj' should be nn.Cell or list or dict, but got "
                        f"{type(save_obj)}.")
    if append_dict is not None:
        if not isinstance(append_dict, dict):
            raise TypeError(f"For 'save_checkpoint', the argument 'append_dict' should be dict, but got "
                            f"{type(append_dict)}.")
        for key, value in append_dict.items():
            if not isinstance(key, str):
                raise TypeError(f"For 'save_checkpoint', the keys of 'append_dict' should be str, but got "
                                f"{type(key).__name__}.")
            entries[key] = value
    out = []
    for name, value in entries.items():
        if choice_func is not None and not choice_func(name):
            continue
        out.append((name, value if isinstance(value, str) else _to_numpy(value, f"the value of '{name}'")))
    return out


def _ckpt_chunks(entries):
    """The serialized Checkpoint messages of a .ckpt file, one (or more, for a large tensor) per entry."""
    for name, value in entries:
        if isinstance(value, str):
            yield proto.checkpoint_value(name, [0], "str", np.array(value).tobytes())
            continue
        arr = np.asarray(value, order="C")  # (ascontiguousarray would make a 0-d array 1-d)
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        ms_type = _ms_type_of(arr.dtype)
        if ms_type is None:
            raise TypeError(f"For 'save_checkpoint', the dtype {arr.dtype} of '{name}' is not supported.")
        data_size = arr.nbytes / 1024
        if data_size > SLICE_SIZE and arr.ndim > 0:
            for part in np.array_split(arr.reshape(-1), math.ceil(data_size / SLICE_SIZE)):
                yield proto.checkpoint_value(name, arr.shape, ms_type, part.tobytes())
        else:
            yield proto.checkpoint_value(name, arr.shape, ms_type, arr.tobytes())


def _write_ckpt(path, entries, crc_check):
    def write(f):
        crc = 0
        for chunk in _ckpt_chunks(entries):
            f.write(chunk)
            if crc_check:
                crc = binascii.crc32(chunk, crc)
        if crc_check:
            f.write(_CRC_TAG + crc.to_bytes(10, "big"))
    _write_atomic(path, write)


def _write_safetensors(path, entries, crc_check):
    from safetensors.numpy import save

    tensors, metadata = {}, {"format": "ms"}
    for name, value in entries:
        if isinstance(value, str):
            metadata[name] = value  # (minispore: strings travel in the metadata; MindSpore cannot save them)
        else:
            tensors[name] = np.asarray(value, order="C")
    tensors = dict(sorted(tensors.items()))
    if crc_check:
        crc = 0
        for v in tensors.values():
            crc = binascii.crc32(v.tobytes(), crc)
        metadata["crc_num"] = str(crc)
    data = save(tensors, metadata=metadata)
    _write_atomic(path, lambda f: f.write(data))


def _save_job(path, entries, crc_check, fmt):
    try:
        (_write_safetensors if fmt == "safetensors" else _write_ckpt)(path, entries, crc_check)
    except BaseException as e:  # noqa: B036  (kept for the next save/load to raise)
        logger.error("Failed to save the checkpoint file %s: %s", path, e)
        with _LOCK:
            _PENDING["error"] = e


def save_checkpoint(save_obj, ckpt_file_name, integrated_save=True, async_save=False, append_dict=None,
                    enc_key=None, enc_mode="AES-GCM", choice_func=None, crc_check=False, format="ckpt", **kwargs):
    """Save ``save_obj`` (a Cell, a list of Parameters or of ``{"name", "data"}`` dicts, or a dict name ->
    Parameter/Tensor/str such as ``load_checkpoint`` returns) to ``ckpt_file_name`` (MindSpore's
    ``save_checkpoint``; ``.ckpt``/``.safetensors`` is appended when missing)."""
    if format not in ("ckpt", "safetensors"):
        raise ValueError(f"For 'save_checkpoint', the parameter 'format' must be 'ckpt' or 'safetensors', but got "
                         f"{format}.")
    if not isinstance(save_obj, (Cell, list, dict)):
        raise TypeError("For 'save_checkpoint', the parameter 'save_obj' should be nn.Cell or list or dict, but got "
                        f"{type(save_obj)}.")
    if not isinstance(ckpt_file_name, str):
        raise TypeError("For 'save_checkpoint', the parameter 'ckpt_file_name' for checkpoint file name is invalid, "
                        f"'ckpt_file_name' must be string, but got {type(ckpt_file_name)}.")
    if not isinstance(integrated_save, bool):
        raise TypeError(f"For 'save_checkpoint', the argument 'integrated_save' should be bool, but got "
                        f"{type(integrated_save)}.")
    if async_save not in (True, False, "thread", "process"):
        raise ValueError(f"For 'save_checkpoint', the argument 'async_save' should be bool, 'thread' or 'process', "
                         f"but got {async_save!r}.")
    if not isinstance(crc_check, bool):
        raise TypeError(f"For 'save_checkpoint', the argument 'crc_check' should be bool, but got {type(crc_check)}.")
    if enc_key is not None:
        if crc_check:
            raise ValueError("For 'save_checkpoint', the enc_key and crc_check can't be set at the same time.")
        raise NotImplementedError("For 'save_checkpoint', encryption (enc_key) is not supported by minispore.")
    if choice_func is not None and not callable(choice_func):
        raise TypeError("For 'save_checkpoint', the argument 'choice_func' should be a function.")
    path = os.path.realpath(ckpt_file_name)
    if os.path.isdir(path):
        raise IsADirectoryError(f"For 'save_checkpoint', the parameter `ckpt_file_name`: {ckpt_file_name} is a "
                                "directory, it must be a file name.")
    suffix = ".safetensors" if format == "safetensors" else ".ckpt"
    if not path.endswith(suffix):
        path += suffix
    _wait_pending()  # one save of a name at a time; an earlier async save's error surfaces here
    entries = _snapshot(save_obj, append_dict, choice_func)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if async_save:
        thread = threading.Thread(target=_save_job, args=(path, entries, crc_check, format),
                                  name="minispore-async-save")
        with _LOCK:
            _PENDING["thread"] = thread
        thread.start()
        return
    (_write_safetensors if format == "safetensors" else _write_ckpt)(path, entries, crc_check)


# ---- loading ------------------------------------------------------------------------------------------
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
