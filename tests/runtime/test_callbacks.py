"""Callbacks: hook order and aliases, LossMonitor/TimeMonitor output, History, request_stop."""

import re

import numpy as np
import pytest

from minispore import Tensor, nn, ops
from minispore.nn.initializer import set_seed
from minispore.runtime import (
    Callback,
    History,
    LambdaCallback,
    LossMonitor,
    Model,
    NumpySlicesDataset,
    RunContext,
    TimeMonitor,
)
from minispore.runtime.callbacks import _InternalCallbackParam


class MSELoss(nn.Cell):
    def construct(self, pred, target):
        return ops.reduce_mean(ops.square(pred - target))


def regression(batches=5, batch_size=4, lr=0.05):
    """A Dense(3, 1) regression model and a dataset of ``batches`` batches."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batches * batch_size, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)
    set_seed(0)
    net = nn.Dense(3, 1)
    opt = nn.SGD(net.trainable_params(), learning_rate=lr)
    data = NumpySlicesDataset((x, y), column_names=["x", "y"], shuffle=False).batch(batch_size)
    return Model(net, MSELoss(), opt), data, opt


def test_loss_monitor_format(capsys):
    model, data, _ = regression(batches=5)
    model.train(2, data, callbacks=LossMonitor(per_print_times=2))
    lines = capsys.readouterr().out.splitlines()
    pattern = re.compile(r"^epoch: (\d+) step: (\d+), loss is (\d+\.\d+(e[-+]\d+)?)$")
    parsed = [pattern.match(ln) for ln in lines]
    assert all(parsed), lines
    # steps 2, 4, 6, 8, 10 overall; step numbers count from 1 within each epoch of 5 steps
    assert [(int(m[1]), int(m[2])) for m in parsed] == [(1, 2), (1, 4), (2, 1), (2, 3), (2, 5)]
    losses = [float(m[3]) for m in parsed]
    assert losses[-1] < losses[0]


def test_loss_monitor_prints_the_loss_like_mindspore(capsys):
    # MindSpore 2.x's _handle_loss: a Tensor loss becomes float(np.mean(...)), printed at full precision
    cb = _InternalCallbackParam(cur_step_num=1, batch_num=3, cur_epoch_num=1,
                                net_outputs=Tensor(np.float32(2.2740343)), dataset_sink_mode=False)
    LossMonitor().on_train_step_end(RunContext(cb))
    assert capsys.readouterr().out == "epoch: 1 step: 1, loss is 2.274034261703491\n"
    # a tuple (a loss-scaling cell's (loss, overflow, scale)): its first element, printed as the Tensor prints
    cb.net_outputs = (Tensor(np.float32(2.5)), Tensor(np.array(False)), Tensor(np.float32(1024.0)))
    cb.cur_step_num = 5
    LossMonitor().on_train_step_end(RunContext(cb))
    assert capsys.readouterr().out == "epoch: 1 step: 2, loss is 2.5\n"


def test_loss_monitor_rejects_nan_and_bad_arguments():
    cb = _InternalCallbackParam(cur_step_num=1, batch_num=1, cur_epoch_num=1,
                                net_outputs=Tensor(np.float32(np.nan)), dataset_sink_mode=False)
    msg = "In epoch: 1 step: 1, loss is NAN or INF, training process cannot continue, terminating training."
    with pytest.raises(ValueError, match=re.escape(msg)):
        LossMonitor().on_train_step_end(RunContext(cb))
    with pytest.raises(ValueError, match="per_print_times"):
        LossMonitor(-1)
    for bad in (1.5, True, "2"):
        with pytest.raises(TypeError, match="per_print_times"):
            LossMonitor(bad)


def test_time_monitor(capsys):
    model, data, _ = regression(batches=3)
    model.train(2, data, callbacks=[TimeMonitor()])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    for ln in lines:
        m = re.match(r"^Train epoch time: (\d+\.\d{3}) ms, per step time: (\d+\.\d{3}) ms$", ln)
        assert m and float(m[2]) == pytest.approx(float(m[1]) / 3, abs=1e-3)
    with pytest.raises(ValueError, match="data_size"):
        TimeMonitor(0)
    with pytest.raises(TypeError, match="data_size"):
        TimeMonitor("10")


def test_hook_order_and_mindspore_1x_aliases():
    events = []

    class New(Callback):
        def on_train_begin(self, rc):
            events.append("begin")

        def on_train_epoch_begin(self, rc):
            events.append(f"epoch_begin {rc.original_args().cur_epoch_num}")

        def on_train_step_begin(self, rc):
            events.append("step_begin")

        def on_train_step_end(self, rc):
            events.append(f"step_end {rc.original_args().cur_step_num}")

        def on_train_epoch_end(self, rc):
            events.append("epoch_end")

        def on_train_end(self, rc):
            events.append("end")

    old_steps = []

    class Old(Callback):  # MindSpore 1.x style: the 2.x hooks call these
        def step_end(self, rc):
            cb = rc.original_args()
            old_steps.append((cb.cur_epoch_num, cb.cur_step_num, cb.batch_num, cb.epoch_num))
            assert isinstance(cb.net_outputs, Tensor) and cb.optimizer is not None
            assert cb.train_network is not None and cb["mode"] == "train"

    model, data, _ = regression(batches=2)
    model.train(2, data, callbacks=[New(), Old()])
    assert events == ["begin", "epoch_begin 1", "step_begin", "step_end 1", "step_begin", "step_end 2", "epoch_end",
                      "epoch_begin 2", "step_begin", "step_end 3", "step_begin", "step_end 4", "epoch_end", "end"]
    assert old_steps == [(1, 1, 2, 2), (1, 2, 2, 2), (2, 3, 2, 2), (2, 4, 2, 2)]


def test_request_stop_ends_training():
    events = []

    class StopAt(Callback):
        def on_train_step_end(self, rc):
            if rc.original_args().cur_step_num == 3:
                rc.request_stop()

        def on_train_epoch_end(self, rc):
            events.append("epoch_end")

        def on_train_end(self, rc):
            events.append("end")

    model, data, opt = regression(batches=5)
    model.train(4, data, callbacks=StopAt())
    assert int(opt.global_step.asnumpy()[0]) == 3
    assert events == ["epoch_end", "end"]


def test_history_records_steps_and_epochs():
    seen = []

    class Reader(Callback):  # a later callback reads the history as it grows
        def on_train_step_end(self, rc):
            seen.append(len(rc.original_args().history.steps["loss"]))

    model, data, _ = regression(batches=3, lr=0.05)
    hist = History()
    model.train(2, data, callbacks=[hist, Reader()])
    assert seen == [1, 2, 3, 4, 5, 6]
    assert hist.steps["step"] == [1, 2, 3, 4, 5, 6] and hist.steps["epoch"] == [1, 1, 1, 2, 2, 2]
    assert hist.steps["lr"] == [pytest.approx(0.05)] * 6
    assert hist.epoch == {"epoch": [1, 2]} and len(hist.history["net_output"]) == 2
    assert hist.history["net_output"][1] == pytest.approx(hist.steps["loss"][-1])
    assert all(v is None for v in hist.steps["overflow"])


def test_history_lr_follows_a_dynamic_schedule():
    model, data, _ = regression(batches=3)
    net = model.predict_network
    lrs = [0.1, 0.05, 0.02, 0.01, 0.005, 0.001]
    model = Model(net, MSELoss(), nn.SGD(net.trainable_params(), learning_rate=lrs))
    hist = History()
    model.train(2, data, callbacks=hist)
    assert hist.steps["lr"] == [pytest.approx(v) for v in lrs]


def test_lambda_callback_and_eval_hooks(capsys):
    steps = []
    model, data, _ = regression(batches=3)
    model.train(1, data, callbacks=LambdaCallback(on_train_step_end=lambda rc: steps.append(1)))
    assert len(steps) == 3
    with pytest.raises(TypeError, match="unexpected keyword argument .on_train_stop."):  # MindSpore's signature
        LambdaCallback(on_train_stop=print)

    eval_steps = []
    net = model.predict_network
    evaluator = Model(net, MSELoss(), metrics={"loss", "mae"})
    result = evaluator.eval(data, callbacks=LambdaCallback(
        on_eval_step_end=lambda rc: eval_steps.append(rc.original_args().cur_step_num)))
    assert eval_steps == [1, 2, 3] and set(result) == {"loss", "mae"}
    capsys.readouterr()
    # as in MindSpore, both monitors override the shared 1.x hooks (step_end, epoch_end): they print in eval too
    evaluator.eval(data, callbacks=[LossMonitor(), TimeMonitor()])
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split(",")[0] for ln in lines[:3]] == ["epoch: 1 step: 1", "epoch: 1 step: 2", "epoch: 1 step: 3"]
    assert re.match(r"^Eval epoch time: \d+\.\d{3} ms, per step time: \d+\.\d{3} ms$", lines[3]) and len(lines) == 4


def test_run_context():
    with pytest.raises(TypeError, match="dict"):
        RunContext([1])
    rc = RunContext({"a": 1})
    assert rc.original_args() == {"a": 1} and not rc.get_stop_requested()
    rc.request_stop()
    assert rc.get_stop_requested()
    params = _InternalCallbackParam(x=1)
    params.y = 2
    assert params["y"] == 2 and params.x == 1 and params.get("z") is None
    with pytest.raises(AttributeError):
        _ = params.z
