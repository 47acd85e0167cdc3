"""``save_checkpoint``: MindSpore's ``.ckpt`` files (and ``format="safetensors"``), with MindSpore's semantics and
messages; the file format's pieces shared with loading (load.py): the dtype names and the CRC trailer.

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
