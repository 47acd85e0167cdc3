"""MindSpore's training callbacks: LossMonitor's NaN error, History, LearningRateScheduler (no recompile),
EarlyStopping and ReduceLROnPlateau on a scripted eval loss, LambdaCallback, request_stop, Model.fit with
validation, initial_epoch."""

import re

import numpy as np
import pytest

from minispore import nn
from minispore.amp import DynamicLossScaleManager
from minispore.nn.initializer import set_seed
from minispore.runtime import NumpySlicesDataset
from minispore.train import (
    Callback,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    LossMonitor,
    Model,
    ReduceLROnPlateau,
    TimeMonitor,
)


def regression(batches=4, lr=0.01, metrics=None, manager=None, x_fill=None):
    set_seed(0)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(batches * 4, 3)).astype(np.float32)
    if x_fill is not None:
        x[:] = x_fill
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)
    net = nn.Dense(3, 1)
    opt = nn.SGD(net.trainable_params(), learning_rate=lr)
    kw = {"loss_scale_manager": manager} if manager else {}
    model = Model(net, nn.MSELoss(), opt, metrics=metrics, **kw)
    data = NumpySlicesDataset((x, y), column_names=["x", "y"], shuffle=False).batch(4)
    return model, data, opt


def compiled_graphs(model):
    return len(model.train_network._compile_cache.entries)


class Script(Callback):
    """Replaces the eval results at each epoch end with scripted values (before the callbacks after it)."""

    def __init__(self, values, key="eval_loss"):
        self.values, self.key = list(values), key

    def on_train_epoch_end(self, run_context):
        cb = run_context.original_args()
        cb.eval_results = {self.key: self.values[cb.cur_epoch_num - 1]}


def test_loss_monitor_nan_stops_training_with_mindspores_error():
    model, data, _ = regression(x_fill=np.nan)
    msg = "In epoch: 1 step: 1, loss is NAN or INF, training process cannot continue, terminating training."
    with pytest.raises(ValueError, match=re.escape(msg)):
        model.train(2, data, callbacks=LossMonitor())


def test_history_epoch_and_history_with_loss_scale():
    model, data, _ = regression(manager=DynamicLossScaleManager(init_loss_scale=256.0))
    hist = History()
    model.train(2, data, callbacks=hist)
    assert hist.epoch == {"epoch": [1, 2]}
    assert set(hist.history) == {"net_output"} and len(hist.history["net_output"]) == 2
    assert hist.history["net_output"][1] == pytest.approx(hist.steps["loss"][-1])
    assert hist.steps["loss_scale"][0] == 256.0 and hist.steps["overflow"] == [False] * 8


def test_learning_rate_scheduler_changes_the_rate_without_recompiling():
    model, data, opt = regression(batches=4, lr=0.1)
    seen = []
    hist = History()
    sched = LearningRateScheduler(lambda lr, step: lr * 0.5 if step % 2 == 0 else lr)
    model.train(2, data, callbacks=[hist, sched, LambdaCallback(
        on_train_step_end=lambda rc: seen.append(compiled_graphs(model)))])
    assert hist.steps["lr"] == [pytest.approx(v) for v in (0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125)]
    assert float(opt.learning_rate.asnumpy()) == pytest.approx(0.00625)
    assert seen == [1] * 8  # one compiled step all along
    with pytest.raises(TypeError, match="learning_rate_function"):
        LearningRateScheduler(0.1)
    dyn = Model(model.predict_network, nn.MSELoss(), nn.SGD(model.predict_network.trainable_params(),
                                                            learning_rate=[0.1] * 8))
    with pytest.raises(ValueError, match="does not support dynamic learning rate"):
        dyn.train(1, data, callbacks=sched)


def test_early_stopping_on_a_scripted_eval_loss(capsys):
    model, data, opt = regression()
    stop = EarlyStopping(patience=2, verbose=True)
    epochs = []
    model.train(10, data, callbacks=[Script([1.0, 0.5, 0.6, 0.55, 0.4, 0.3]), stop,
                                     LambdaCallback(on_train_epoch_end=lambda rc: epochs.append(1))])
    # best at epoch 2; epochs 3 and 4 do not improve: stop after epoch 4
    assert len(epochs) == 4 and stop.stopped_epoch == 4 and stop.best == pytest.approx(0.5)
    assert int(opt.global_step.asnumpy()[0]) == 16
    assert capsys.readouterr().out == "Epoch 00004: early stopping\n"
    # mode 'max' (auto for a metric not in MindSpore's smaller-is-better list), min_delta, baseline
    model, data, _ = regression()
    stop = EarlyStopping(monitor="acc", patience=1, min_delta=0.1)
    model.train(10, data, callbacks=[Script([0.5, 0.65, 0.7, 0.9], key="acc"), stop])
    assert stop.stopped_epoch == 3  # 0.7 is not 0.1 above 0.65
    with pytest.raises(ValueError, match="mode should be 'auto', 'min' or 'max'"):
        EarlyStopping(mode="up")
    with pytest.raises(TypeError, match="patience"):
        EarlyStopping(patience=1.5)


def test_early_stopping_restores_the_best_weights():
    model, data, _ = regression(lr=0.05)
    weights = []
    record = LambdaCallback(on_train_epoch_end=lambda rc: weights.append(model.predict_network.weight.asnumpy().copy()))
    stop = EarlyStopping(patience=1, restore_best_weights=True)
    model.train(10, data, callbacks=[record, Script([0.3, 0.2, 0.25, 0.1]), stop])
    assert stop.stopped_epoch == 3
    np.testing.assert_array_equal(model.predict_network.weight.asnumpy(), weights[1])


def test_reduce_lr_on_plateau_without_recompiling(capsys):
    model, data, opt = regression(lr=0.1)
    lrs, graphs = [], []

    def note(rc):
        lrs.append(float(opt.learning_rate.asnumpy()))
        graphs.append(compiled_graphs(model))

    cb = ReduceLROnPlateau(patience=1, factor=0.5, verbose=True, cooldown=2, min_lr=0.02)
    model.train(7, data, callbacks=[Script([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]), cb,
                                    LambdaCallback(on_train_epoch_end=note)])
    # epoch 1 improves (from inf); 2 reduces; 3 cooldown; 4 reduces; 5 cooldown; 6 reduces to min_lr; 7 cooldown
    # (as in MindSpore and Keras, cooldown=1 would leave no epoch out: the counter runs down first)
    assert lrs == pytest.approx([0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02])
    assert graphs == [1] * 7
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 00002: ReduceLROnPlateau reducing learning rate to 0.05." and len(out) == 3
    with pytest.raises(ValueError, match=r"'factor' must be in range of \(0.0, 1.0\)"):
        ReduceLROnPlateau(factor=1.0)


def test_lambda_callback_hooks_in_fit_and_argument_errors():
    events = []
    hooks = {name: (lambda n: lambda rc: events.append((n, rc.original_args().mode)))(name)
             for name in LambdaCallback._HOOKS}
    model, data, _ = regression(batches=2, metrics={"mae"})
    model.fit(1, data, data, callbacks=LambdaCallback(**hooks))
    names = [e[0] for e in events]
    assert names == ["on_train_begin", "on_train_epoch_begin", "on_train_step_begin", "on_train_step_end",
                     "on_train_step_begin", "on_train_step_end", "on_eval_begin", "on_eval_epoch_begin",
                     "on_eval_step_begin", "on_eval_step_end", "on_eval_step_begin", "on_eval_step_end",
                     "on_eval_epoch_end", "on_eval_end", "on_train_epoch_end", "on_train_end"]
    assert {m for n, m in events if n.startswith("on_eval")} == {"eval"}
    assert {m for n, m in events if n.startswith("on_train")} == {"train"}
    with pytest.raises(TypeError, match="must be callable"):
        LambdaCallback(on_train_begin=3)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        LambdaCallback(on_stop=print)


def test_request_stop_from_a_lambda_callback():
    model, data, opt = regression(batches=4)
    model.train(5, data, callbacks=LambdaCallback(
        on_train_step_end=lambda rc: rc.original_args().cur_step_num == 6 and rc.request_stop()))
    assert int(opt.global_step.asnumpy()[0]) == 6


def test_fit_with_validation(capsys):
    model, data, _ = regression(batches=3, metrics={"mae", "loss"})
    seen = []

    class Reader(Callback):
        def on_train_epoch_end(self, rc):
            cb = rc.original_args()
            results = sorted(cb.get("eval_results") or {})
            seen.append((cb.cur_epoch_num, cb.cur_step_num, cb.batch_num, cb.mode, results))

    hist = History()
    model.fit(4, data, data, valid_frequency=2, callbacks=[Reader(), hist, LossMonitor(0), TimeMonitor()])
    assert seen == [(1, 3, 3, "train", []), (2, 6, 3, "train", ["eval_loss", "loss", "mae"]),
                    (3, 9, 3, "train", []), (4, 12, 3, "train", ["eval_loss", "loss", "mae"])]
    assert len(hist.history["mae"]) == 2 and len(hist.history["net_output"]) == 4
    kinds = [ln.split(":")[0] for ln in capsys.readouterr().out.splitlines()]
    # TimeMonitor times the evaluations too (MindSpore keeps it in fit's eval callbacks); LossMonitor does not
    # print eval losses in fit, only the epoch's "Eval result"
    assert kinds == ["Train epoch time", "Eval epoch time", "Eval result", "Train epoch time", "Train epoch time",
                     "Eval epoch time", "Eval result", "Train epoch time"]
    # eval_loss is the mean of the eval network's loss output: the 'loss' metric
    model2, data2, _ = regression(batches=3, metrics={"loss"})
    got = {}
    model2.fit(1, data2, data2, callbacks=LambdaCallback(
        on_train_epoch_end=lambda rc: got.update(rc.original_args().eval_results)))
    assert got["eval_loss"] == pytest.approx(got["loss"])
    model3, data3, _ = regression(batches=2, metrics={"mae"})
    epochs = []
    model3.fit(5, data3, data3, valid_frequency=[1, 4], callbacks=LambdaCallback(
        on_eval_end=lambda rc: epochs.append(rc.original_args().cur_epoch_num)))
    assert epochs == [1, 4]
    with pytest.raises(TypeError, match="valid_dataset_sink_mode"):
        model3.fit(1, data3, data3, valid_dataset_sink_mode=1)


def test_initial_epoch_in_train_and_fit():
    model, data, opt = regression(batches=2, metrics={"mae"})
    seen = []
    rec = LambdaCallback(on_train_epoch_end=lambda rc: seen.append((rc.original_args().cur_epoch_num,
                                                                    rc.original_args().cur_step_num)))
    model.train(5, data, callbacks=rec, initial_epoch=3)
    assert seen == [(4, 8), (5, 10)] and int(opt.global_step.asnumpy()[0]) == 4
    seen.clear()
    model.fit(4, data, data, callbacks=rec, initial_epoch=2)
    assert seen == [(3, 6), (4, 8)]
    with pytest.raises(ValueError, match="initial_epoch"):
        model.train(2, data, initial_epoch=2)
