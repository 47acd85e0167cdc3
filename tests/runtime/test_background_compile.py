"""``set_context(background_compile=True)`` (the default outside this test suite): a CPU graph's first step runs
on the reference executor while its kernels compile in a background thread; every later step runs the kernels.
The numbers match the compiled path's, do not depend on timing, and errors still name the user's line."""

import logging
import os
import subprocess
import sys
import time

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn, ops
from minispore.backends.cpu import backend as cpu_backend
from minispore.backends.cpu import deferred
from minispore.backends.cpu.deferred import DeferredPlan

from golden import test_optimizer_golden as optimizer_golden
from golden import test_train_golden as train_golden
from golden.helpers import load
from golden.networks import MLP, LeNet5


class _ConvNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, pad_mode="valid", has_bias=True)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2, 2)
        self.flatten = nn.Flatten()
        self.fc = nn.Dense(4 * 3 * 3, 5)

    def construct(self, x):
        return self.fc(self.flatten(self.pool(self.relu(self.conv(x)))))


def _data(steps=4, batch=6):
    rng = np.random.default_rng(1)
    return [(Tensor(rng.standard_normal((batch, 1, 8, 8)).astype(np.float32)),
             Tensor(rng.integers(0, 5, batch).astype(np.int32))) for _ in range(steps)]


@pytest.fixture
def background():
    ms.set_context(background_compile=True)
    yield
    ms.set_context(background_compile=False)


def _sgd_step():
    """A fresh _ConvNet's TrainOneStepCell (sparse softmax cross-entropy, SGD)."""
    net = _ConvNet()
    return nn.TrainOneStepCell(nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True)),
                               nn.SGD(net.trainable_params(), 0.1))


def _train(background, data, seed=0):
    ms.set_context(background_compile=background)
    try:
        ms.set_seed(seed)
        net = _ConvNet()
        loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
        opt = nn.Momentum(net.trainable_params(), learning_rate=0.1, momentum=0.9)
        step = nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)
        losses = [float(step(x, y).asnumpy()) for x, y in data]
        return losses, [p.asnumpy().copy() for p in net.trainable_params()], step
    finally:
        ms.set_context(background_compile=False)


def test_first_step_on_references_then_kernels_give_the_compiled_numbers():
    data = _data()
    losses, params, _ = _train(True, data)
    want_losses, want_params, _ = _train(False, data)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)
    for got, want in zip(params, want_params):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_the_plan_is_deferred_and_later_steps_run_compiled_kernels(background):
    data = _data(steps=1)
    step = _sgd_step()
    step(*data[0])
    plan = list(step._compile_cache.entries.values())[-1].plan
    assert isinstance(plan, DeferredPlan)
    step(*data[0])
    assert plan._plan is not None and plan.stats()["jit_compiled"] + plan.stats()["jit_loaded"] > 0
    assert "def step(P, X, C, B)" in plan.source


def test_numbers_do_not_depend_on_timing_or_on_kernels_compiled_before():
    data = _data()
    first = _train(True, data)
    second = _train(True, data)  # (the kernels are compiled in this process by now)
    np.testing.assert_array_equal(first[0], second[0])
    for a, b in zip(first[1], second[1]):
        np.testing.assert_array_equal(a, b)


def test_a_bad_label_at_the_first_step_names_the_users_line(background):
    x, _ = _data(steps=1)[0]
    with pytest.raises(ValueError, match=r"out of range[\s\S]*test_background_compile.py"):
        _sgd_step()(x, Tensor(np.full(6, 9, np.int32)))


def test_a_failed_background_compile_is_raised_by_the_next_step_and_then_retried(monkeypatch, background):
    real = cpu_backend.CpuBackend._emit_now
    calls = []

    def failing_once(self, schedule):
        calls.append(schedule)
        if len(calls) == 1:
            raise RuntimeError("numba failed")
        return real(self, schedule)

    monkeypatch.setattr(cpu_backend.CpuBackend, "_emit_now", failing_once)
    data = _data(steps=3)
    step = _sgd_step()
    step(*data[0])
    with pytest.raises(RuntimeError, match="numba failed"):
        step(*data[1])
    assert np.isfinite(step(*data[2]).asnumpy()).all()


class _Printing(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(3, 2)
        self.print = ops.Print()

    def construct(self, x):
        y = self.fc(x)
        self.print("y sum", y.sum())
        return y


def test_graphs_with_host_ops_are_compiled_at_the_first_call(capsys, background):
    net = _Printing()
    net(Tensor(np.ones((2, 3), np.float32)))
    plan = list(net._compile_cache.entries.values())[-1].plan
    assert not isinstance(plan, DeferredPlan)
    assert capsys.readouterr().out.count("y sum") == 1


def test_the_environment_variable_sets_the_default():
    code = "import minispore as ms; print(ms.get_context('background_compile'))"
    for value, want in (("0", "False"), ("1", "True")):
        env = dict(os.environ, MINISPORE_BACKGROUND_COMPILE=value)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                             cwd=os.path.dirname(os.path.dirname(os.path.dirname(ms.__file__))))
        assert out.stdout.strip() == want, out.stderr
    with pytest.raises(ValueError, match="background_compile must be a bool"):
        ms.set_context(background_compile="yes")


# MindSpore's numbers with the first step on the references: the golden optimizer cases (every optimizer, its
# errors included) and the golden training runs, each run here with background_compile on.
@pytest.mark.parametrize("path", optimizer_golden.FILES, ids=[os.path.basename(f)[:-5] for f in optimizer_golden.FILES])
def test_golden_optimizer_cases(path, background):
    optimizer_golden.test_optimizer_case(path)


@pytest.mark.parametrize("path", train_golden.LENET + train_golden.MLP_CASE, ids=["lenet5", "mlp_adam"])
def test_golden_training(path, background):
    case = load(path)
    train_golden._train_and_compare(case, LeNet5() if "lenet" in path else MLP())


def test_a_long_wait_for_the_kernels_is_reported(monkeypatch, caplog, background):
    real = cpu_backend.CpuBackend._emit_now

    def slow(self, schedule):
        time.sleep(0.5)
        return real(self, schedule)

    monkeypatch.setattr(cpu_backend.CpuBackend, "_emit_now", slow)
    monkeypatch.setattr(deferred, "NOTICE_SECONDS", 0.05)
    step = _sgd_step()
    data = _data(steps=2)
    with caplog.at_level(logging.INFO, logger="minispore"):
        step(*data[0])
        assert "on the reference executor" in caplog.text and "waiting" not in caplog.text
        step(*data[1])
    assert "waiting for the kernels of TrainOneStepCell to compile" in caplog.text
    assert "compiled the kernels of TrainOneStepCell (waited" in caplog.text


def test_parallel_kernels_compile_at_the_first_call(background):
    ms.set_context(cpu_parallel=True)
    try:
        step = _sgd_step()
        step(*_data(steps=1)[0])
        assert not isinstance(list(step._compile_cache.entries.values())[-1].plan, DeferredPlan)
    finally:
        ms.set_context(cpu_parallel=False)
