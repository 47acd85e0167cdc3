"""``CheckpointConfig`` and the ``ModelCheckpoint`` callback (``mindspore.train``): save the training
network every N steps (or seconds) as ``{prefix}-{epoch}_{step}.ckpt``, keep the newest
``keep_checkpoint_max`` files, save the last step at the end of training, and (``exception_save``) the state
of the last whole step when training dies.

Not written: MindSpore's ``{prefix}-graph.meta`` (the func-graph protobuf: minispore has no such format).
"""

import logging
import os
import re
import time

import numpy as np

from ...graph.cell import Cell
from ...graph.parameter import Parameter
from ...graph.tensor import Tensor
from ..callbacks import Callback
from ..communication.ranks import names_rank
from .ckpt import save_checkpoint

logger = logging.getLogger("minispore")


def _check_non_negative_int(value, name):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"For 'CheckpointConfig', the type of '{name}' must be int, but got {type(value)}.")
    if value < 0:
        raise ValueError(f"For 'CheckpointConfig', the '{name}' must be int and >= 0, but got {value}.")
    return value


class CheckpointConfig:
    """When and how ``ModelCheckpoint`` saves (MindSpore's ``CheckpointConfig``). Steps take priority over
    seconds, ``keep_checkpoint_max`` over ``keep_checkpoint_per_n_minutes``."""

    def __init__(self, save_checkpoint_steps=1, save_checkpoint_seconds=0, keep_checkpoint_max=5,
                 keep_checkpoint_per_n_minutes=0, integrated_save=True, async_save=False, saved_network=None,
                 append_info=None, enc_key=None, enc_mode="AES-GCM", exception_save=False, crc_check=False,
                 remove_redundancy=False, format="ckpt", **kwargs):
        save_checkpoint_steps = _check_non_negative_int(save_checkpoint_steps, "save_checkpoint_steps")
        save_checkpoint_seconds = _check_non_negative_int(save_checkpoint_seconds, "save_checkpoint_seconds")
        keep_checkpoint_max = _check_non_negative_int(keep_checkpoint_max, "keep_checkpoint_max")
        keep_checkpoint_per_n_minutes = _check_non_negative_int(keep_checkpoint_per_n_minutes,
                                                                "keep_checkpoint_per_n_minutes")
        if saved_network is not None and not isinstance(saved_network, Cell):
            raise TypeError(f"For 'CheckpointConfig', the type of 'saved_network' must be None or Cell, but got "
                            f"{type(saved_network)}.")
        if not save_checkpoint_steps and not save_checkpoint_seconds and not keep_checkpoint_max \
                and not keep_checkpoint_per_n_minutes:
            raise ValueError("For 'CheckpointConfig', the input arguments 'save_checkpoint_steps', "
                             "'save_checkpoint_seconds', 'keep_checkpoint_max' and 'keep_checkpoint_per_n_minutes' "
                             "can't be all None or 0.")
        if format not in ("ckpt", "safetensors"):
            raise ValueError(f"For 'CheckpointConfig', the 'format' must be 'ckpt' or 'safetensors', but got "
                             f"{format}.")
        for name, value in (("integrated_save", integrated_save), ("exception_save", exception_save),
                            ("crc_check", crc_check), ("remove_redundancy", remove_redundancy)):
            if not isinstance(value, bool):
                raise TypeError(f"For 'CheckpointConfig', the type of '{name}' must be bool, but got {type(value)}.")
        self._save_checkpoint_steps = save_checkpoint_steps
        self._save_checkpoint_seconds = save_checkpoint_seconds
        if self._save_checkpoint_steps and self._save_checkpoint_steps > 0:
            self._save_checkpoint_seconds = None
        self._keep_checkpoint_max = keep_checkpoint_max
        self._keep_checkpoint_per_n_minutes = keep_checkpoint_per_n_minutes
        if self._keep_checkpoint_max and self._keep_checkpoint_max > 0:
            self._keep_checkpoint_per_n_minutes = None
        elif not self._keep_checkpoint_per_n_minutes:
            self._keep_checkpoint_max = 1
        self._integrated_save = integrated_save
        self._async_save = async_save
        self._saved_network = saved_network
        self._append_dict = self._handle_append_info(append_info)
        self._enc_key = enc_key
        self._enc_mode = enc_mode
        self._exception_save = exception_save
        self._crc_check = crc_check
        self._remove_redundancy = remove_redundancy
        self._format = format
        self._map_param_inc = kwargs.get("incremental", False)

    @staticmethod
    def _handle_append_info(append_info):
        if append_info is None or append_info == []:
            return None
        if not isinstance(append_info, list):
            raise TypeError(f"For 'CheckpointConfig', the type of 'append_info' must be list, but got "
                            f"{type(append_info)}.")
        out, dicts = {}, 0
        for item in append_info:
            if isinstance(item, str):
                if item not in ("epoch_num", "step_num"):
                    raise ValueError(f"For 'CheckpointConfig', the value of element in the argument 'append_info' "
                                     f"must be in ['epoch_num', 'step_num'], but got {item}.")
                out[item] = 0
            elif isinstance(item, dict):
                dicts += 1
                if dicts > 1:
                    raise TypeError("For 'CheckpointConfig', the element of 'append_info' must has only one dict.")
                for key, value in item.items():
                    if not isinstance(key, str) or not isinstance(value, (int, float, bool, str, Tensor, Parameter)):
                        raise TypeError(f"For 'CheckpointConfig', the type of dict in 'append_info' must be key: "
                                        f"string, value: int, float, bool, str, Tensor or Parameter, but got key "
                                        f"{type(key)} and value {type(value)}.")
                    out[key] = value
            else:
                raise TypeError(f"For 'CheckpointConfig', the type of element in 'append_info' must be str or dict, "
                                f"but got {type(item)}.")
        return out

    save_checkpoint_steps = property(lambda self: self._save_checkpoint_steps)
    save_checkpoint_seconds = property(lambda self: self._save_checkpoint_seconds)
    keep_checkpoint_max = property(lambda self: self._keep_checkpoint_max)
    keep_checkpoint_per_n_minutes = property(lambda self: self._keep_checkpoint_per_n_minutes)
    integrated_save = property(lambda self: self._integrated_save)
    async_save = property(lambda self: self._async_save)
    saved_network = property(lambda self: self._saved_network)
    append_dict = property(lambda self: self._append_dict)
    enc_key = property(lambda self: self._enc_key)
    enc_mode = property(lambda self: self._enc_mode)
    exception_save = property(lambda self: self._exception_save)
    crc_check = property(lambda self: self._crc_check)
    remove_redundancy = property(lambda self: self._remove_redundancy)
    format = property(lambda self: self._format)

    def get_checkpoint_policy(self):
        return {"save_checkpoint_steps": self.save_checkpoint_steps,
                "save_checkpoint_seconds": self.save_checkpoint_seconds,
                "keep_checkpoint_max": self.keep_checkpoint_max,
                "keep_checkpoint_per_n_minutes": self.keep_checkpoint_per_n_minutes,
                "saved_network": self.saved_network}


class ModelCheckpoint(Callback):
    """Save the training network during ``Model.train`` (MindSpore's ``ModelCheckpoint``)."""

    def __init__(self, prefix="CKP", directory=None, config=None):
        super().__init__()
        if not isinstance(prefix, str) or "/" in prefix:
            raise ValueError(f"For 'ModelCheckpoint', the argument 'prefix' for checkpoint file name is invalid, it "
                             f"must be string and does not contain '/', but got {prefix}.")
        if directory is not None and not isinstance(directory, str):
            raise TypeError(f"For 'ModelCheckpoint', the type of 'directory' must be str, but got {type(directory)}.")
        if config is None:
            config = CheckpointConfig()
        elif not isinstance(config, CheckpointConfig):
            raise TypeError(f"For 'ModelCheckpoint', the type of argument 'config' must be CheckpointConfig, but got "
                            f"{type(config)}.")
        self._directory = os.path.realpath(directory) if directory is not None else os.getcwd()
        try:
            os.makedirs(self._directory, exist_ok=True)
        except OSError as e:
            raise type(e)(e.errno, f"For 'ModelCheckpoint', the checkpoint directory {self._directory} cannot be "
                                   f"created ({e.strerror})") from None
        if not os.access(self._directory, os.W_OK | os.X_OK):
            raise PermissionError(f"For 'ModelCheckpoint', the checkpoint directory {self._directory} is not "
                                  "writable")
        self._config = config
        self._suffix = ".safetensors" if config.format == "safetensors" else ".ckpt"
        self._exception_prefix = prefix
        self._prefix = self._unused_prefix(prefix)
        self._last_triggered_step = 0
        self._last_time = time.time()
        self._last_time_for_keep = time.time()
        self._latest_ckpt_file_name = ""
        self._files = []  # this run's files, oldest first

    @property
    def per_rank(self):
        """Whether this callback saves on every rank of a data-parallel job, not only rank 0: its directory
        names the rank (MindSpore's per-rank folders, e.g. ``"./ckpt_" + str(get_rank())`` or ``.../rank_1``)."""
        return names_rank(self._directory)

    def _unused_prefix(self, prefix, breakpoint=False):
        """``prefix``, or ``prefix_1``, ``prefix_2`` ... when files of that prefix exist (MindSpore's
        ``_chg_ckpt_file_name_if_same_exist``: periodic files and ``_breakpoint`` files count separately)."""
        tail = r"_breakpoint\.ckpt" if breakpoint else r"\.(?:ckpt|safetensors)"
        pattern = re.compile(r"^(.+?)(?:_(\d+))?-\d+_\d+" + tail + "$")
        taken = -1
        for name in os.listdir(self._directory):
            m = pattern.match(name)
            if m and m.group(1) == prefix and (breakpoint or not name.endswith("_breakpoint.ckpt")):
                taken = max(taken, int(m.group(2) or 0))
        return prefix if taken < 0 else f"{prefix}_{taken + 1}"

    @property
    def latest_ckpt_file_name(self):
        return self._latest_ckpt_file_name

    def step_end(self, run_context):
        cb_params = run_context.original_args()
        if self._check_save(cb_params.cur_step_num):
            self._save(cb_params)

    def end(self, run_context):
        cb_params = run_context.original_args()
        if cb_params.get("mode", "train") != "train":
            return
        if cb_params.cur_step_num != self._last_triggered_step:
            self._save(cb_params)

    def _check_save(self, step):
        cfg = self._config
        if cfg.save_checkpoint_steps:
            return step - self._last_triggered_step >= cfg.save_checkpoint_steps
        if cfg.save_checkpoint_seconds:
            return time.time() - self._last_time >= cfg.save_checkpoint_seconds
        return False

    def _remove(self, path):
        try:
            os.remove(path)
        except OSError:
            pass

    def _rotate(self):
        cfg = self._config
        existing = [f for f in self._files if os.path.exists(f)]
        if cfg.keep_checkpoint_max:
            while len(existing) >= cfg.keep_checkpoint_max:
                oldest = min(existing, key=os.path.getmtime)
                self._remove(oldest)
                existing.remove(oldest)
        elif cfg.keep_checkpoint_per_n_minutes:
            # MindSpore's keep_one_ckpoint_per_minutes: within a window of n minutes only the oldest file of
            # the last n minutes survives; a new window starts once n minutes passed since the last one began
            now, window = time.time(), cfg.keep_checkpoint_per_n_minutes * 60
            if now - self._last_time_for_keep < window:
                recent = [f for f in existing if now - os.path.getmtime(f) < window]
                oldest = min(recent, key=os.path.getmtime, default=None)
                for f in recent:
                    if f != oldest:
                        self._remove(f)
                        existing.remove(f)
            else:
                self._last_time_for_keep = now
        self._files = existing

    @staticmethod
    def _step_in_epoch(cb_params):
        batch_num = max(int(cb_params.get("batch_num") or 1), 1)
        return (cb_params.cur_step_num - 1) % batch_num + 1

    def save_breakpoint(self, cb_params):
        """``exception_save``: called by ``Model.train`` when training dies (an error or Ctrl-C), writes
        ``{prefix}-{epoch}_{step}_breakpoint.ckpt`` with the state of the last completed step, as MindSpore's
        ``_save_final_ckpt`` does; a failure to save is logged, never hides the training error."""
        if not self._config.exception_save or cb_params.get("mode", "train") != "train":
            return
        prefix = self._unused_prefix(self._exception_prefix, breakpoint=True)
        name = f"{prefix}-{cb_params.cur_epoch_num}_{self._step_in_epoch(cb_params)}_breakpoint.ckpt"
        path = os.path.join(self._directory, name)
        try:
            save_checkpoint(cb_params.train_network, path, self._config.integrated_save, False,
                            self._append(cb_params), crc_check=self._config.crc_check)
        except Exception as e:  # noqa: BLE001 -- the training error that brought us here is the one to raise
            logger.error("exception_save: could not write %s: %s", path, e)
            return
        logger.warning("training stopped by an exception; the state of the last completed step is saved in %s",
                       path)

    def _append(self, cb_params):
        append = None
        cfg = self._config
        if cfg.append_dict:
            append = dict(cfg.append_dict)
            if "epoch_num" in append:
                append["epoch_num"] = int(cb_params.cur_epoch_num)
            if "step_num" in append:
                append["step_num"] = int(cb_params.cur_step_num)
            append = {k: (v if not isinstance(v, np.generic) else v.item()) for k, v in append.items()}
        return append

    def _save(self, cb_params):
        cfg = self._config
        step = cb_params.cur_step_num
        name = f"{self._prefix}-{cb_params.cur_epoch_num}_{self._step_in_epoch(cb_params)}{self._suffix}"
        path = os.path.join(self._directory, name)
        self._rotate()
        network = cfg.saved_network if cfg.saved_network is not None else cb_params.train_network
        try:
            save_checkpoint(network, path, cfg.integrated_save, cfg.async_save, self._append(cb_params),
                            cfg.enc_key, cfg.enc_mode, crc_check=cfg.crc_check, format=cfg.format)
        except OSError as e:  # a full or vanished folder: say which save failed and that nothing was lost
            raise type(e)(e.errno, f"For 'ModelCheckpoint', saving {path} failed ({e.strerror}); the checkpoints "
                                   "saved before are untouched") from e
        if path in self._files:
            self._files.remove(path)
        self._files.append(path)
        self._latest_ckpt_file_name = path
        self._last_triggered_step = step
        self._last_time = time.time()
