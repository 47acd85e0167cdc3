"""Dataset sink mode on the Ascend target: sink_size steps per call into the plan (the step counter and the
learning rate stay in the graph), step_end callbacks at sink boundaries, the same numbers as per-step
training; the CPU target runs the per-step loop, as MindSpore's CPU build does."""

import numpy as np
import pytest

import minispore as ms
from minispore import nn
from minispore.backends.base import Plan
from minispore.nn.initializer import set_seed
from minispore.runtime import Model, NumpySlicesDataset
from minispore.train import Callback


@pytest.fixture(autouse=True)
def _restore_context():
    yield
    ms.set_context(device_target="CPU")


class StepEnds(Callback):
    def __init__(self):
        self.steps = []

    def step_end(self, run_context):
        self.steps.append(run_context.original_args().cur_step_num)


def _train(target, epochs, sink, sink_size=-1):
    ms.set_context(device_target=target)
    set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)
    net = nn.Dense(3, 1)
    lr = nn.exponential_decay_lr(0.05, 0.9, 40, 5, 1)  # a dynamic lr: read at global_step inside the graph
    model = Model(net, nn.MSELoss(), nn.Momentum(net.trainable_params(), lr, 0.9))
    ends = StepEnds()
    data = NumpySlicesDataset((x, y), column_names=["x", "y"], shuffle=False).batch(4)
    model.train(epochs, data, callbacks=ends, dataset_sink_mode=sink, sink_size=sink_size)
    return net.weight.asnumpy(), ends.steps


def test_sink_runs_sink_size_steps_per_call_with_callbacks_at_boundaries(monkeypatch):
    sizes = []
    real = Plan.run_sink

    def counting(self, batches):
        sizes.append(len(batches))
        return real(self, batches)

    monkeypatch.setattr(Plan, "run_sink", counting)
    per_step, steps = _train("Ascend", 2, sink=False)
    assert steps == list(range(1, 21)) and sizes == []
    sunk, steps = _train("Ascend", 4, sink=True, sink_size=5)
    assert steps == [5, 10, 15, 20]
    assert sizes == [4, 5, 5, 5]  # a new network: its first step compiles and runs on its own
    np.testing.assert_array_equal(sunk, per_step)
    sizes.clear()
    whole, steps = _train("Ascend", 2, sink=True)  # sink_size -1: one sink per dataset epoch
    assert steps == [10, 20] and sizes == [9, 10]
    np.testing.assert_array_equal(whole, per_step)


def test_cpu_runs_the_per_step_loop_in_sink_mode():
    weights, steps = _train("CPU", 2, sink=True)
    assert steps == list(range(1, 21))
