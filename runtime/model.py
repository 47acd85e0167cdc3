"""``Model``: MindSpore's high-level train/eval/predict API around compiled cells.

``Model(network, loss_fn, optimizer)`` builds ``TrainOneStepCell(WithLossCell(network, loss_fn),
optimizer)``: forward, loss, gradients and the optimizer update compile into one graph, which
``train`` calls once per batch (it updates the parameters in place and returns the loss).
``eval`` runs ``WithEvalCell(network, loss_fn)`` (loss, outputs, label) in eval mode and feeds the
metrics; ``predict`` runs the network in eval mode. Dataset sink mode is a performance mode in
MindSpore; minispore runs the same steps. As in MindSpore, on the CPU target sink mode runs the ordinary
per-step loop; on GPU/Ascend one epoch is one sink (sink_size steps, or the dataset) with the step
callbacks called once around it. Every amp level and loss-scale manager goes through
``_build_train_network``; with a manager that has an update cell each step returns ``(loss, overflow,
loss_scale)`` to the callbacks.
"""

import itertools
import logging
import numbers

from .. import nn
from ..graph.tensor import Tensor
from ..optim.optimizer import Optimizer
from .callbacks import CallbackList, RunContext, _InternalCallbackParam
from .communication import get_auto_parallel_context
from .communication.ranks import callbacks_of_this_rank, prepare_ranks
from .compiler import current_backend, run_sink
from .dataset_checks import check_columns, check_size, empty_epoch_error, warn_non_finite_loss
from .metrics import Loss, get_metrics
from .model_args import _MODEL_KWARGS, _build_train_network, _check_bool, _check_dataset, _check_int

logger = logging.getLogger("minispore")


def _sink_supported():
    """Whether the device target has a dataset sink (step callbacks once per sink of sink_size steps):
    GPU and Ascend do, the CPU does not (a capability of its backend)."""
    return current_backend().dataset_sink


class Model:
    """``Model(network, loss_fn=None, optimizer=None, metrics=None, eval_network=None, eval_indexes=None,
    amp_level='O0', boost_level='O0', **kwargs)``, kwargs being MindSpore's ``loss_scale_manager``,
    ``keep_batchnorm_fp32``, ``boost_config_dict`` and ``acc_level``.

    With ``loss_fn`` the network maps data to logits and the dataset gives ``(data, label)``; without
    it the network returns the loss itself. ``metrics``: a set of names ({'accuracy', 'loss'}) or a
    dict of name -> Metric. ``eval_indexes`` [loss, prediction, label] picks the eval network's
    outputs for the Loss metric and the others.
    """

    _nonfinite_warned = False  # reset per training run by _train_plan; see warn_non_finite_loss

    def __init__(self, network, loss_fn=None, optimizer=None, metrics=None, eval_network=None, eval_indexes=None,
                 amp_level="O0", boost_level="O0", **kwargs):
        for arg in kwargs:
            if arg not in _MODEL_KWARGS:
                raise ValueError(f"The argument in 'kwargs' should be 'loss_scale_manager' or 'keep_batchnorm_fp32' "
                                 f"or 'boost_config_dict' or 'acc_level', but got '{arg}'.")
        if not isinstance(network, nn.Cell):
            raise TypeError(f"For 'Model', the argument 'network' must be a Cell, but got {type(network).__name__}")
        if optimizer is not None and not isinstance(optimizer, Optimizer):
            raise TypeError(f"For 'Model', the argument 'optimizer' must be an Optimizer, but got "
                            f"{type(optimizer).__name__}")
        if optimizer is None and amp_level != "O0":
            raise ValueError("Auto mixed precision will not work because 'optimizer' is None.Please set amp_level='O0' "
                             "to disable auto mixed precision or set 'optimizer' not be None to use auto mixed "
                             "precision.")
        if kwargs.get("loss_scale_manager") is not None and optimizer is None:
            raise ValueError("The argument 'optimizer' can not be None when set 'loss_scale_manager'.")
        if "acc_level" in kwargs:
            boost_level = kwargs["acc_level"]
            logger.warning("Next version acc_level will be removed, please replace with boost_level")
        self._network = network
        self._loss_fn = loss_fn
        self._optimizer = optimizer
        self._amp_level = amp_level
        self._loss_scale_manager = kwargs.get("loss_scale_manager")
        self._train_network = self._build_train_network(boost_level, kwargs.get("keep_batchnorm_fp32"))
        self._build_eval_network(metrics, eval_network, eval_indexes)
        self._predict_network = network

    # ---- networks -----------------------------------------------------------------------------
    def _build_train_network(self, boost_level, keep_batchnorm_fp32):
        if self._optimizer is not None:
            return _build_train_network(self._network, self._optimizer, self._loss_fn, self._amp_level, boost_level,
                                        self._loss_scale_manager, keep_batchnorm_fp32)
        if self._loss_fn is not None:
            return nn.WithLossCell(self._network, self._loss_fn)
        return self._network

    def _build_eval_network(self, metrics, eval_network, eval_indexes):
        self._metric_fns = get_metrics(metrics)
        self._eval_network = eval_network
        self._eval_indexes = eval_indexes
        if eval_indexes is not None and not (isinstance(eval_indexes, list) and len(eval_indexes) == 3):
            raise ValueError(f"The argument 'eval_indexes' must be a list or None. If it's a list, its length must be "
                             f"3, but got {eval_indexes!r}.")
        if not self._metric_fns or eval_network is not None:
            return
        if self._loss_fn is None:
            raise ValueError("If `metrics` is set, `eval_network` must not be None. Do not set `metrics` if you "
                             "don't want an evaluation.")
        self._eval_network = nn.WithEvalCell(self._network, self._loss_fn,
                                             add_cast_fp32=self._amp_level in ("O2", "O3", "auto"))
        self._eval_indexes = [0, 1, 2]

    @property
    def train_network(self):
        return self._train_network

    @property
    def train_graph(self):
        """The compiled training-step graph (printable IR), or None before the first step."""
        return None if self._train_network is None else self._train_network.compiled_graph()

    @property
    def predict_network(self):
        return self._predict_network

    @property
    def eval_network(self):
        return self._eval_network

    # ---- training -----------------------------------------------------------------------------
    def train(self, epoch, train_dataset, callbacks=None, dataset_sink_mode=False, sink_size=-1, initial_epoch=0):
        """Train for epochs ``initial_epoch + 1 .. epoch``; each batch of ``train_dataset`` is one step.
        Callbacks see cb_params (cur_epoch_num, cur_step_num, batch_num, net_outputs, ...) and may stop
        training with ``run_context.request_stop()``."""
        self._run_train(epoch, train_dataset, callbacks, dataset_sink_mode, sink_size, initial_epoch)

    def fit(self, epoch, train_dataset, valid_dataset=None, valid_frequency=1, callbacks=None,
            dataset_sink_mode=False, valid_dataset_sink_mode=False, sink_size=-1, initial_epoch=0):
        """Train, and after every ``valid_frequency``-th epoch (an int: epochs divisible by it; a list: those
        epoch numbers) evaluate ``valid_dataset``, as MindSpore's ``Model.fit``. The evaluation runs the
        ``on_eval_*`` hooks of the user's callbacks (minispore's own callbacks stay out, but TimeMonitor) with
        the same cb_params (mode 'eval'); then the epoch-end callbacks see ``cb_params.metrics`` and
        ``cb_params.eval_results`` (the metrics and ``eval_loss``, what EarlyStopping and ReduceLROnPlateau
        monitor)."""
        _check_bool(valid_dataset_sink_mode, "valid_dataset_sink_mode", "Model.fit")
        if valid_dataset is not None:
            if not self._metric_fns:
                raise ValueError("For 'Model.fit', the model argument 'metrics' can not be None or empty when "
                                 "valid_dataset is given.")
            _check_dataset(valid_dataset, "valid_dataset", "Model.fit")
            check_size(valid_dataset, "Model.fit", "valid_dataset")  # fail before training, not after an epoch
            check_columns(valid_dataset, self._eval_network, "Model.fit", "valid_dataset")
            if isinstance(valid_frequency, list):
                if not all(isinstance(e, int) and not isinstance(e, bool) for e in valid_frequency):
                    raise TypeError("For 'Model.fit', a list valid_frequency must hold epoch numbers (int)")
            else:
                _check_int(valid_frequency, "valid_frequency", 1, "Model.fit")
        valid = None if valid_dataset is None else (valid_dataset, valid_frequency, valid_dataset_sink_mode)
        self._run_train(epoch, train_dataset, callbacks, dataset_sink_mode, sink_size, initial_epoch, valid)

    def _run_train(self, epoch, dataset, callbacks, sink, sink_size, initial_epoch, valid=None):
        epoch, initial_epoch, sink, steps = self._train_plan(epoch, dataset, sink, sink_size, initial_epoch)
        cbs = CallbackList(callbacks_of_this_rank(callbacks))
        cb = _InternalCallbackParam(
            train_network=self._train_network, network=self._network, epoch_num=epoch, batch_num=steps,
            mode="train", loss_fn=self._loss_fn, optimizer=self._optimizer, train_dataset=dataset,
            list_callback=cbs, parallel_mode=get_auto_parallel_context("parallel_mode"),
            device_number=get_auto_parallel_context("device_num"), dataset_sink_mode=sink,
            loss_scale_manager=self._loss_scale_manager, loss_scale_mananger=self._loss_scale_manager,  # (sic) MS key
            initial_epoch=initial_epoch, cur_epoch_num=initial_epoch,
            cur_step_num=initial_epoch * steps, net_outputs=None)
        endless = sink and sink_size > 0
        run_context = RunContext(cb)
        self._train_network.set_train(True)
        prepare_ranks(self._train_network, steps)  # data parallel: same step counts, rank 0's parameters
        batches = self._batches(dataset, epoch - initial_epoch, endless)
        try:
            self._train_loop(epoch, initial_epoch, sink, steps, endless, batches, cbs, run_context, valid)
        except BaseException:
            # CheckpointConfig(exception_save=True): MindSpore's _save_final_ckpt saves a '_breakpoint' file
            # on any exception (KeyboardInterrupt included: a step is never left half-applied, so the file is
            # the state before or after the interrupted step) and re-raises
            for c in cbs.callbacks:
                if hasattr(c, "save_breakpoint"):
                    c.save_breakpoint(cb)
            raise

    def _train_loop(self, epoch, initial_epoch, sink, steps, endless, batches, cbs, run_context, valid):
        cb = run_context.original_args()
        with cbs:
            cbs.on_train_begin(run_context)
            for i in range(initial_epoch, epoch):
                cb.cur_epoch_num = i + 1
                cbs.on_train_epoch_begin(run_context)
                if sink:
                    self._sink_epoch(batches, steps, endless, cbs, run_context)
                else:
                    self._epoch(batches, cbs, run_context)
                if valid is not None and self._should_eval(i + 1, valid[1]):
                    self._eval_in_fit(valid[0], cbs, cb)
                    self._train_network.set_train(True)
                cbs.on_train_epoch_end(run_context)
                cb.pop("metrics", None)
                cb.pop("eval_results", None)
                if run_context.get_stop_requested():
                    break
            cbs.on_train_end(run_context)

    def _train_plan(self, epoch, dataset, sink, sink_size, initial_epoch):
        """Check train's arguments against the model and the dataset: (epoch, initial_epoch, sink, steps per
        epoch), with sink mode off where the target has none."""
        epoch = _check_int(epoch, "epoch", 1)
        initial_epoch = _check_int(initial_epoch, "initial_epoch", 0)
        if initial_epoch >= epoch:
            raise ValueError(f"For 'Model.train', the argument 'initial_epoch' must be less than 'epoch' "
                             f"({epoch}), but got {initial_epoch}")
        _check_bool(sink, "dataset_sink_mode", "Model.train")
        if isinstance(sink_size, bool) or not isinstance(sink_size, int) or (sink_size == 0 or sink_size < -1):
            raise ValueError(f"For 'Model.train', the argument 'sink_size' must be -1 or positive, but got "
                             f"{sink_size!r}.")
        if self._optimizer is None:
            raise ValueError("For 'Model.train', the model has no optimizer: pass optimizer=... to Model(...) "
                             "to train it.")
        _check_dataset(dataset, "train_dataset", "Model.train")
        if sink and not _sink_supported():
            # MindSpore's CPU build has no dataset sink: Model.train runs the non-sink loop instead
            logger.info("The CPU cannot support dataset sink mode currently. So the training process will be "
                        "performed with dataset not sink.")
            sink = False
        dataset_size = check_size(dataset, "Model.train", "train_dataset")
        steps = sink_size if sink and sink_size > 0 else dataset_size
        # the batches feed WithLossCell(data, label) with a loss_fn, else the network itself: check the column
        # count now, before a step compiles, rather than as a TypeError from inside tracing
        if self._loss_fn is not None:
            check_columns(dataset, nn.WithLossCell, "Model.train", "train_dataset",
                          " (with a loss_fn, the dataset should return two elements: data and label)")
        else:
            check_columns(dataset, self._network, "Model.train", "train_dataset")
        self._nonfinite_warned = False  # warn_non_finite_loss reports once per run
        if steps < 0:
            raise ValueError("For 'Model.train', the dataset repeats forever: use a finite dataset (or, on a device "
                             "target with dataset sink, dataset_sink_mode=True with a positive sink_size)")
        self._check_dynamic_lr((epoch - initial_epoch) * steps)
        return epoch, initial_epoch, sink, steps

    def _check_dynamic_lr(self, total_steps):
        """A dynamic learning-rate list must cover every step of this run: fail before the first step."""
        start = int(self._optimizer.global_step.asnumpy().reshape(-1)[0])
        for lr in getattr(self._optimizer, "_lrs", []):
            if lr.length is not None and start + total_steps > lr.length:
                raise ValueError(f"For 'Model.train', the dynamic learning rate list has {lr.length} values, but "
                                 f"training runs {total_steps} steps from global_step {start} (needs "
                                 f"{start + total_steps} values)")

    @staticmethod
    def _should_eval(epoch_num, frequency):
        """MindSpore's rule: an int frequency evaluates the epochs divisible by it, a list those epochs."""
        return epoch_num % frequency == 0 if isinstance(frequency, int) else epoch_num in frequency

    # minispore's (and MindSpore's) own callbacks that stay out of Model.fit's evaluation; TimeMonitor times it
    _TRAIN_ONLY_CALLBACKS = ("LossMonitor", "History", "ModelCheckpoint", "CheckpointConfig", "SummaryCollector",
                             "EarlyStopping", "ReduceLROnPlateau", "LearningRateScheduler", "ProgressBar",
                             "BackupAndRestore", "OnRequestExit")

    def _eval_in_fit(self, valid_dataset, cbs, cb):
        """Evaluate inside ``fit`` with the training run's cb_params (as MindSpore: mode 'eval', its own
        batch_num and step count, restored afterwards); sets ``cb.metrics`` and ``cb.eval_results``."""
        saved = {k: cb.get(k) for k in ("mode", "cur_step_num", "batch_num", "dataset_sink_mode", "net_outputs")}
        eval_cbs = CallbackList([c for c in cbs.callbacks if type(c).__name__ not in self._TRAIN_ONLY_CALLBACKS])
        cb.eval_network = self._eval_network
        cb.valid_dataset = valid_dataset
        cb.batch_num = valid_dataset.get_dataset_size()
        cb.mode = "eval"
        cb.cur_step_num = 0
        with eval_cbs:
            self._eval_process(valid_dataset, eval_cbs, RunContext(cb), add_eval_loss=True)
        cb.update(saved)

    @staticmethod
    def _batches(dataset, num_epochs, endless):
        """Per epoch, an iterator over that epoch's batches; ``endless`` (sink_size > 0) continues one
        stream across epochs, so an epoch of sink_size steps may span dataset epochs."""
        it = dataset.create_tuple_iterator(num_epochs=-1 if endless else num_epochs)
        if not endless:
            return it

        def stream():
            while True:
                produced = False
                for batch in it:
                    produced = True
                    yield batch
                if not produced:
                    return

        return stream()

    def _check_batch(self, batch):
        if self._loss_fn is not None and len(batch) != 2:
            raise ValueError(f"When 'loss_fn' is not None, 'train_dataset' should return two elements, but got "
                             f"{len(batch)}, please check the number of elements returned by 'train_dataset'")

    def _step(self, batch, cb, step_in_epoch=None):
        self._check_batch(batch)
        outputs = self._train_network(*batch)
        if not self._nonfinite_warned:  # a NaN/Inf loss would otherwise train on silently (without LossMonitor)
            step = step_in_epoch or (cb.cur_step_num - 1) % max(cb.batch_num, 1) + 1
            self._nonfinite_warned = warn_non_finite_loss(outputs, batch, cb, step)
        manager = self._loss_scale_manager
        if manager is not None and isinstance(outputs, (tuple, list)) and hasattr(manager, "update_loss_scale") \
                and manager.get_drop_overflow_update():
            manager.update_loss_scale(bool(outputs[1].asnumpy().all()))
        return outputs

    def _epoch(self, batches, cbs, run_context):
        cb = run_context.original_args()
        start = cb.cur_step_num
        for batch in batches:
            cb.cur_step_num += 1
            cb.train_dataset_element = batch
            cbs.on_train_step_begin(run_context)
            cb.net_outputs = self._step(batch, cb)
            cbs.on_train_step_end(run_context)
            if run_context.get_stop_requested():
                break
        if cb.cur_step_num == start:
            raise empty_epoch_error("Model.train", "train_dataset", cb.cur_epoch_num, cb.batch_num)

    def _sink_epoch(self, batches, steps, endless, cbs, run_context):
        """One sink: the epoch's steps (``steps`` of them from the endless stream when sink_size > 0,
        else the whole dataset epoch), with the step callbacks called once around them."""
        cb = run_context.original_args()
        cbs.on_train_step_begin(run_context)
        sink = list(itertools.islice(batches, steps) if endless else batches)
        done = len(sink)
        if done == 0:
            raise empty_epoch_error("Model.train", "train_dataset", cb.cur_epoch_num, cb.batch_num)
        manager = self._loss_scale_manager
        if manager is not None and hasattr(manager, "update_loss_scale") and manager.get_drop_overflow_update():
            # a loss-scale manager updated on the host after every step cannot be sunk: one call per step
            for k, batch in enumerate(sink, start=1):
                outputs = self._step(batch, cb, k)
        else:
            self._check_batch(sink[0])
            outputs = run_sink(self._train_network, sink)
            if not self._nonfinite_warned:
                self._nonfinite_warned = warn_non_finite_loss(outputs, sink[-1], cb, done)
        cb.cur_step_num += done
        cb.net_outputs = outputs
        cbs.on_train_step_end(run_context)

    # ---- evaluation and prediction ---------------------------------------------------------------
    def _update_metrics(self, outputs):
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        if not isinstance(outputs, (tuple, list)):
            raise ValueError(f"The argument 'outputs' should be tuple, but got {type(outputs)}.")
        for metric in self._metric_fns.values():
            if self._eval_indexes is None:
                metric.update(*outputs)
            elif isinstance(metric, Loss):
                metric.update(outputs[self._eval_indexes[0]])
            else:
                metric.update(outputs[self._eval_indexes[1]], outputs[self._eval_indexes[2]])

    def eval(self, valid_dataset, callbacks=None, dataset_sink_mode=False):
        """Run the eval network over ``valid_dataset`` and return ``{metric name: value}``."""
        _check_bool(dataset_sink_mode, "dataset_sink_mode", "Model.eval")
        if not self._metric_fns:
            raise ValueError("For Model.eval, the model argument 'metrics' can not be None or empty, you should set "
                             "the argument 'metrics' for model.")
        _check_dataset(valid_dataset, "valid_dataset", "Model.eval")
        check_size(valid_dataset, "Model.eval", "valid_dataset")
        check_columns(valid_dataset, self._eval_network, "Model.eval", "valid_dataset")
        cbs = CallbackList(callbacks, "Model.eval")
        cb = _InternalCallbackParam(
            eval_network=self._eval_network, valid_dataset=valid_dataset, batch_num=valid_dataset.get_dataset_size(),
            mode="eval", cur_step_num=0, cur_epoch_num=1, epoch_num=1, list_callback=cbs, network=self._network,
            dataset_sink_mode=dataset_sink_mode, net_outputs=None)
        with cbs:
            return self._eval_process(valid_dataset, cbs, RunContext(cb))

    def _eval_process(self, valid_dataset, cbs, run_context, add_eval_loss=False):
        """One pass over ``valid_dataset`` with the eval hooks; ``add_eval_loss`` (fit) also sets
        ``eval_results``: the metrics and ``eval_loss``, the mean of the eval network's loss output."""
        cb = run_context.original_args()
        for metric in self._metric_fns.values():
            metric.clear()
        eval_loss = Loss() if add_eval_loss and self._eval_indexes is not None else None
        self._eval_network.set_train(False)
        cbs.on_eval_begin(run_context)
        cbs.on_eval_epoch_begin(run_context)
        for batch in valid_dataset.create_tuple_iterator(num_epochs=1):
            cb.cur_step_num += 1
            cb.eval_dataset_element = batch
            cbs.on_eval_step_begin(run_context)
            outputs = self._eval_network(*batch)
            cb.net_outputs = outputs
            cbs.on_eval_step_end(run_context)
            self._update_metrics(outputs)
            if eval_loss is not None:
                eval_loss.update(outputs[self._eval_indexes[0]])
            if run_context.get_stop_requested():
                break
        if cb.cur_step_num == 0:  # else a metric's eval() fails on 0 samples, far from the cause
            raise empty_epoch_error("Model.eval", "valid_dataset", 1, cb.batch_num)
        cbs.on_eval_epoch_end(run_context)
        metrics = {name: metric.eval() for name, metric in self._metric_fns.items()}
        cb.metrics = metrics
        if add_eval_loss:
            cb.eval_results = dict(metrics)
            if eval_loss is not None:
                cb.eval_results["eval_loss"] = eval_loss.eval()
        cbs.on_eval_end(run_context)
        return metrics

    def predict(self, *predict_data, backend=None, config=None):
        """The network's output on ``predict_data`` (Tensors), computed in eval mode. ``backend`` and
        ``config`` (MindSpore's choice of MindSpore Lite for inference, and its options) are accepted for
        compatibility and ignored: minispore predicts with the compiled network."""
        for i, item in enumerate(predict_data):
            if not (item is None or isinstance(item, (Tensor, numbers.Number, str, tuple, list))):
                raise TypeError(f"For 'Model.predict', input {i} must be a Tensor (or a number, str, tuple, list "
                                f"or None), but got {type(item).__name__}")
        self._predict_network.set_train(False)
        return self._predict_network(*predict_data)


__all__ = ["Model"]
