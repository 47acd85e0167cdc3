"""Training callbacks with ``mindspore.train``'s names: Callback, RunContext, LossMonitor,
TimeMonitor, History, LambdaCallback (and, from callbacks_lr.py and progress.py, LearningRateScheduler,
EarlyStopping, ReduceLROnPlateau, ProgressBar).

``Model.train``/``eval`` call the ``on_train_*``/``on_eval_*`` hooks with a RunContext whose
``original_args()`` is the ``cb_params`` namespace (a dict with attribute access) holding the
step state: cur_epoch_num, cur_step_num, batch_num, epoch_num, net_outputs, train_network,
optimizer, ... . The MindSpore 1.x hooks (begin, epoch_begin, step_end, ...) are what the 2.x hooks
call by default, so callbacks written either way work.
"""

import numbers
import time

import numpy as np

from ..graph.tensor import Tensor


class _InternalCallbackParam(dict):
    """cb_params: a dict whose keys are also attributes (``cb_params.cur_step_num``)."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"cb_params has no attribute '{key}'") from None

    def __setattr__(self, key, value):
        self[key] = value


class RunContext:
    """Holds the cb_params of a run; a callback calls ``request_stop()`` to end training after the
    current step (the epoch-end and train-end hooks still run)."""

    def __init__(self, original_args):
        if not isinstance(original_args, dict):
            raise TypeError(f"The argument 'original_args' of RunContext should be dict type, but got "
                            f"{type(original_args)}.")
        self._original_args = original_args
        self._stop_requested = False

    def original_args(self):
        return self._original_args

    def request_stop(self):
        self._stop_requested = True

    def get_stop_requested(self):
        return self._stop_requested


class Callback:
    """Base class: override the hooks you need. Each 2.x hook calls its 1.x counterpart."""

    def __enter__(self):
        return self

    def __exit__(self, *err):
        return None

    # MindSpore 1.x hooks (shared by training and evaluation)
    def begin(self, run_context):
        pass

    def epoch_begin(self, run_context):
        pass

    def epoch_end(self, run_context):
        pass

    def step_begin(self, run_context):
        pass

    def step_end(self, run_context):
        pass

    def end(self, run_context):
        pass

    # MindSpore 2.x hooks
    def on_train_begin(self, run_context):
        self.begin(run_context)

    def on_train_epoch_begin(self, run_context):
        self.epoch_begin(run_context)

    def on_train_epoch_end(self, run_context):
        self.epoch_end(run_context)

    def on_train_step_begin(self, run_context):
        self.step_begin(run_context)

    def on_train_step_end(self, run_context):
        self.step_end(run_context)

    def on_train_end(self, run_context):
        self.end(run_context)

    def on_eval_begin(self, run_context):
        self.begin(run_context)

    def on_eval_epoch_begin(self, run_context):
        self.epoch_begin(run_context)

    def on_eval_epoch_end(self, run_context):
        self.epoch_end(run_context)

    def on_eval_step_begin(self, run_context):
        self.step_begin(run_context)

    def on_eval_step_end(self, run_context):
        self.step_end(run_context)

    def on_eval_end(self, run_context):
        self.end(run_context)


class CallbackList(Callback):
    """Several callbacks run in order (Model wraps the user's ``callbacks`` argument in one)."""

    def __init__(self, callbacks, where="Model.train"):
        if callbacks is None:
            callbacks = []
        elif isinstance(callbacks, Callback):
            callbacks = [callbacks]
        elif not isinstance(callbacks, (list, tuple)):
            raise TypeError(f"For '{where}', the argument 'callbacks' must be a Callback or a list of Callback, "
                            f"but got {type(callbacks).__name__}")
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"For '{where}', every element of 'callbacks' must be a Callback, but got "
                                f"{type(cb).__name__}")
        self.callbacks = list(callbacks)

    def __enter__(self):
        for cb in self.callbacks:
            cb.__enter__()
        return self

    def __exit__(self, *err):
        for cb in reversed(self.callbacks):
            cb.__exit__(*err)


def _dispatch(hook):
    def run(self, run_context):
        for cb in self.callbacks:
            getattr(cb, hook)(run_context)

    run.__name__ = hook
    return run


for _phase in ("train", "eval"):
    for _hook in ("begin", "epoch_begin", "epoch_end", "step_begin", "step_end", "end"):
        setattr(CallbackList, f"on_{_phase}_{_hook}", _dispatch(f"on_{_phase}_{_hook}"))


def _handle_loss(net_outputs):
    """MindSpore's ``_handle_loss``: a Tensor becomes the Python float of its mean (printed at full precision,
    ``2.274034261703491``); a tuple gives its first element, left a Tensor (printed as the Tensor prints)."""
    loss = net_outputs
    if isinstance(loss, (tuple, list)):
        if loss and isinstance(loss[0], Tensor):
            loss = loss[0]
    elif isinstance(loss, Tensor):
        loss = float(np.mean(loss.asnumpy()))
    return loss


def _loss_value(net_outputs):
    """The loss as a float (the mean of the first output), or None when the outputs hold no number."""
    loss = net_outputs[0] if isinstance(net_outputs, (tuple, list)) and net_outputs else net_outputs
    if isinstance(loss, Tensor):
        return float(np.mean(loss.asnumpy()))
    if isinstance(loss, numbers.Real):
        return float(loss)
    return None


def _check_int(value, name, cls, positive):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"For '{cls}', the argument '{name}' must be int, but got {type(value).__name__}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"For '{cls}', the argument '{name}' must be {'>' if positive else '>='} 0, but got {value}")
    return int(value)


class LossMonitor(Callback):
    """Print the loss every ``per_print_times`` steps (0: never) as ``epoch: E step: S, loss is L``
    (S counts from 1 within the epoch; L the Python float of the loss, at full precision, as MindSpore 2.x
    prints it), and ``Eval result: epoch E, metrics: {...}`` at epoch end when ``Model.fit`` evaluated.
    A NaN or infinite loss raises MindSpore's ValueError to stop training (a loss-scaling cell's
    ``(loss, overflow, scale)`` is not checked, as in MindSpore: its overflowing steps are skipped)."""

    def __init__(self, per_print_times=1):
        super().__init__()
        self._per_print_times = _check_int(per_print_times, "per_print_times", "LossMonitor", positive=False)
        self._last_print_time = 0

    def step_end(self, run_context):
        cb_params = run_context.original_args()
        cur_epoch_num = cb_params.get("cur_epoch_num", 1)
        loss = _handle_loss(cb_params.net_outputs)
        cur_step_in_epoch = (cb_params.cur_step_num - 1) % cb_params.batch_num + 1
        if isinstance(loss, float) and (np.isnan(loss) or np.isinf(loss)):
            raise ValueError(f"In epoch: {cur_epoch_num} step: {cur_step_in_epoch}, loss is NAN or INF, "
                             "training process cannot continue, terminating training.")
        # a new run (or a resumed one) restarts the step count: move the last print back before it
        step_back = max(self._per_print_times, cb_params.batch_num if cb_params.get("dataset_sink_mode") else 1)
        while self._per_print_times != 0 and cb_params.cur_step_num <= self._last_print_time:
            self._last_print_time -= step_back
        if self._per_print_times != 0 and cb_params.cur_step_num - self._last_print_time >= self._per_print_times:
            self._last_print_time = cb_params.cur_step_num
            print(f"epoch: {cur_epoch_num} step: {cur_step_in_epoch}, loss is {loss!s}", flush=True)

    def on_train_epoch_end(self, run_context):
        cb_params = run_context.original_args()
        metrics = cb_params.get("metrics")
        if metrics:
            print(f"Eval result: epoch {cb_params.cur_epoch_num}, metrics: {metrics!s}")


class TimeMonitor(Callback):
    """Print each epoch's time and its mean step time, MindSpore's
    ``Train epoch time: 12.345 ms, per step time: 1.234 ms`` (``Eval ...`` in evaluation: as in MindSpore it
    uses the shared 1.x hooks, so ``Model.fit`` times its evaluations too), with ``data_time=True``
    `` (data time: 0.123 ms)``, the mean time per step spent waiting for the dataset. The step count is the
    run's batch_num, or ``data_size`` when the run does not know it."""

    def __init__(self, data_size=None, data_time=False):
        super().__init__()
        if data_size is not None:
            _check_int(data_size, "data_size", "TimeMonitor", positive=True)
        if not isinstance(data_time, bool):
            raise TypeError(f"For 'TimeMonitor', the argument 'data_time' must be bool, but got "
                            f"{type(data_time).__name__}")
        self.data_size = data_size
        self.data_time = data_time
        self.data_time_sum = 0.0
        self.data_time_start = 0.0
        self.epoch_time = time.time()

    def on_train_step_begin(self, run_context):
        if self.data_time and not run_context.original_args().get("dataset_sink_mode"):
            self.data_time_sum += time.time() - self.data_time_start

    def on_train_step_end(self, run_context):
        if self.data_time:
            self.data_time_start = time.time()

    def epoch_begin(self, run_context):
        self.epoch_time = time.time()
        self.data_time_sum = 0.0
        self.data_time_start = time.time()

    def epoch_end(self, run_context):
        epoch_ms = (time.time() - self.epoch_time) * 1000
        cb_params = run_context.original_args()
        step_size = self.data_size
        batch_num = cb_params.get("batch_num")
        if isinstance(batch_num, int) and batch_num > 0:
            step_size = batch_num
        if not step_size:
            raise ValueError("For 'TimeMonitor', the number of steps per epoch is unknown: pass data_size")
        mode = cb_params.get("mode", "")
        line = f"{mode.title()} epoch time: {epoch_ms:5.3f} ms, per step time: {epoch_ms / step_size:5.3f} ms"
        if self.data_time and not cb_params.get("dataset_sink_mode"):
            line += f" (data time: {self.data_time_sum * 1000 / step_size:5.3f} ms)"
        print(line, flush=True)


def _is_loss_scale_output(outputs):
    """Whether a step returned a loss-scaling cell's ``(loss, overflow, loss_scale)``: a bool flag second."""
    if not (isinstance(outputs, (tuple, list)) and len(outputs) == 3):
        return False
    flag = outputs[1]
    return isinstance(flag, bool) or (isinstance(flag, Tensor) and flag.dtype.np.kind == "b")


class History(Callback):
    """Records training as it runs and makes it readable by the callbacks after it
    (``cb_params.history`` is this object during training):

    - per epoch, as MindSpore: ``epoch`` (``{'epoch': [1, 2, ...]}``) and ``history`` (``{'net_output': [...],
      <metric>: [...]}``; net_output is the loss of the epoch's last step, metrics come from ``Model.fit``);
    - per step: ``steps``, a dict of lists: ``step``, ``epoch``, ``loss``, and ``lr`` (from
      ``optimizer.get_lr()``, read before the step, so it is the rate the step used), ``loss_scale``
      (the scale the step used) and ``overflow`` (when the train network is a loss-scaling cell, which
      returns ``(loss, overflow, loss_scale)``, e.g. ``Model`` with a loss-scale manager; None otherwise).
    """

    def __init__(self):
        super().__init__()
        self.epoch = None
        self.history = {}
        self.steps = {"step": [], "epoch": [], "loss": [], "lr": [], "loss_scale": [], "overflow": []}
        self._lr = None

    def on_train_begin(self, run_context):
        self.epoch = {"epoch": []}
        run_context.original_args()["history"] = self

    def on_train_step_begin(self, run_context):
        optimizer = run_context.original_args().get("optimizer")
        self._lr = None
        if optimizer is not None and hasattr(optimizer, "get_lr"):
            lr = optimizer.get_lr()
            if isinstance(lr, (tuple, list)):  # per-parameter rates: record the distinct values
                self._lr = [float(np.mean(x.asnumpy())) for x in lr]
            else:
                self._lr = float(np.mean(lr.asnumpy()))

    def on_train_step_end(self, run_context):
        cb_params = run_context.original_args()
        outputs = cb_params.net_outputs
        overflow = scale = None
        if _is_loss_scale_output(outputs):
            overflow = bool(np.all(outputs[1].asnumpy())) if isinstance(outputs[1], Tensor) else outputs[1]
            scale = float(np.mean(outputs[2].asnumpy())) if isinstance(outputs[2], Tensor) else outputs[2]
        record = {"step": cb_params.cur_step_num, "epoch": cb_params.cur_epoch_num,
                  "loss": _loss_value(outputs), "lr": self._lr,
                  "loss_scale": scale, "overflow": overflow}
        for key, value in record.items():
            self.steps[key].append(value)

    def on_train_epoch_end(self, run_context):
        cb_params = run_context.original_args()
        if self.epoch is None:
            self.epoch = {"epoch": []}
        self.epoch["epoch"].append(cb_params.get("cur_epoch_num", 1))
        outputs = cb_params.get("net_outputs")
        net_output = outputs[0] if isinstance(outputs, (tuple, list)) and outputs else outputs
        if isinstance(net_output, Tensor):
            net_output = np.mean(net_output.asnumpy())
        current = {"net_output": net_output}
        current.update(cb_params.get("metrics") or {})
        for key, value in current.items():
            self.history.setdefault(key, []).append(value)


class LambdaCallback(Callback):
    """A callback from functions, each called with the RunContext:
    ``LambdaCallback(on_train_step_end=lambda run_context: ...)``; MindSpore's twelve keyword arguments
    (``on_train_epoch_begin`` ... ``on_eval_end``), each a callable or None."""

    _HOOKS = ("on_train_epoch_begin", "on_train_epoch_end", "on_train_step_begin", "on_train_step_end",
              "on_train_begin", "on_train_end", "on_eval_epoch_begin", "on_eval_epoch_end", "on_eval_step_begin",
              "on_eval_step_end", "on_eval_begin", "on_eval_end")

    def __init__(self, on_train_epoch_begin=None, on_train_epoch_end=None, on_train_step_begin=None,
                 on_train_step_end=None, on_train_begin=None, on_train_end=None, on_eval_epoch_begin=None,
                 on_eval_epoch_end=None, on_eval_step_begin=None, on_eval_step_end=None, on_eval_begin=None,
                 on_eval_end=None):
        super().__init__()
        given = dict(zip(self._HOOKS, (on_train_epoch_begin, on_train_epoch_end, on_train_step_begin,
                                       on_train_step_end, on_train_begin, on_train_end, on_eval_epoch_begin,
                                       on_eval_epoch_end, on_eval_step_begin, on_eval_step_end, on_eval_begin,
                                       on_eval_end)))
        for name, fn in given.items():
            if fn is not None and not callable(fn):
                raise TypeError(f"For 'LambdaCallback', '{name}' must be callable, but got {type(fn).__name__}")
            # as MindSpore: an unset hook does nothing (it does not fall back to the 1.x hooks)
            setattr(self, name, fn if fn is not None else _noop)


def _noop(run_context):
    return None


__all__ = ["Callback", "RunContext", "CallbackList", "LossMonitor", "TimeMonitor", "History", "LambdaCallback"]
