"""Training at every precision level, compiled on the CPU: float16 where MindSpore puts it, losses close
to O0's, and a float16 backward that really overflows caught by the dynamic loss scale."""

import numpy as np
import pytest

import minispore as ms
import minispore.dataset as ds
from minispore import nn
from minispore.train import Callback, Model


class ConvBNNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2, 2)
        self.flat = nn.Flatten()
        self.fc = nn.Dense(4 * 4 * 4, 3)

    def construct(self, x):
        return self.fc(self.flat(self.pool(self.relu(self.bn(self.conv(x))))))


class Record(Callback):
    def __init__(self):
        self.outputs = []

    def step_end(self, run_context):
        out = run_context.original_args().net_outputs
        self.outputs.append(tuple(np.asarray(o.asnumpy()).reshape(-1)[0] for o in out)
                            if isinstance(out, tuple) else (float(out.asnumpy()),))


def _data():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 192).astype(np.int32)
    x = rng.normal(0, 0.3, (192, 1, 8, 8)).astype(np.float32)
    x[np.arange(192), 0, y * 2 + 1, :] += 1.0  # one bright row per class
    return ds.NumpySlicesDataset({"x": x, "y": y}, shuffle=False).batch(32)


def _train(level, manager=None):
    ms.set_seed(3)
    net = ConvBNNet()
    opt = nn.Momentum(net.trainable_params(), 0.05, 0.9)
    kwargs = {"loss_scale_manager": manager} if manager is not None else {}
    model = Model(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"), opt, amp_level=level,
                  **kwargs)
    record = Record()
    model.train(3, _data(), callbacks=[record])
    return model, record.outputs


def _last_epoch_loss(outputs):
    return float(np.mean([o[0] for o in outputs[-6:]]))


@pytest.fixture(scope="module")
def o0_loss():
    return _last_epoch_loss(_train("O0")[1])


@pytest.mark.parametrize("level", ["O1", "O2", "O3"])
def test_each_level_trains_within_3_percent_of_o0(o0_loss, level):
    manager = ms.amp.DynamicLossScaleManager(2**10, 2, 50) if level == "O2" else None
    model, outputs = _train(level, manager)
    # (which nodes compute in float16 at each level: tests/amp/test_levels.py, on the traced graph)
    assert any(n.dtype == np.float16 for n in model.train_network.compiled_graph().nodes)
    loss = _last_epoch_loss(outputs)
    assert abs(loss - o0_loss) <= 0.03 * o0_loss, (loss, o0_loss)
    for p in model.train_network.get_parameters():
        assert np.isfinite(p.asnumpy().astype(np.float64)).all(), p.name


def test_dynamic_scale_catches_a_real_float16_overflow():
    """At O3 the whole backward runs in float16; seeded with 2**24 it overflows to inf. The dynamic manager
    skips those steps, halving the scale until the gradients fit; parameters stay finite throughout."""
    ms.set_seed(5)
    net = nn.Dense(16, 4)
    opt = nn.Momentum(net.trainable_params(), 0.01, 0.9)
    manager = ms.amp.DynamicLossScaleManager(init_loss_scale=2**24, scale_factor=2, scale_window=1000)
    model = Model(net, nn.MSELoss(), opt, amp_level="O3", loss_scale_manager=manager)
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((64, 16)) * 4).astype(np.float32)
    y = rng.standard_normal((64, 4)).astype(np.float32)
    record = Record()
    before = {p.name: p.asnumpy().copy() for p in net.trainable_params()}
    model.train(1, ds.NumpySlicesDataset({"x": x, "y": y}, shuffle=False).batch(4), callbacks=[record])
    overflow = [bool(o[1]) for o in record.outputs]
    scales = [float(o[2]) for o in record.outputs]
    assert overflow[0] and not overflow[-1]  # the first steps overflowed, later ones fit
    first_ok = overflow.index(False)
    assert scales[:first_ok + 1] == [2.0 ** (24 - k) for k in range(first_ok + 1)]
    assert all(np.isfinite(p.asnumpy()).all() for p in net.trainable_params())
    assert any(not np.array_equal(before[p.name], p.asnumpy()) for p in net.trainable_params())


def test_guide_mixed_precision_cells_run_with_only_the_import_changed():
    """The mixed-precision examples of MindSpore's docs (FixedLossScaleManager, with and without dropping
    overflowing updates; a Model at amp_level O2), with ``mindspore`` -> ``minispore``."""
    import minispore as ms  # was: import mindspore as ms
    from minispore import amp  # was: from mindspore import amp

    from golden.networks import LeNet5

    rng = np.random.default_rng(0)
    data = ds.NumpySlicesDataset({"x": rng.random((64, 1, 32, 32), dtype=np.float32),
                                  "y": rng.integers(0, 10, 64).astype(np.int32)}, shuffle=False).batch(32)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")

    net = LeNet5()
    # 1) Drop the parameter update if there is an overflow
    loss_scale_manager = ms.FixedLossScaleManager()
    optim = nn.Momentum(params=net.trainable_params(), learning_rate=0.1, momentum=0.9)
    model = ms.Model(net, loss_fn=loss, loss_scale_manager=loss_scale_manager, optimizer=optim)
    model.train(1, data)
    assert isinstance(model.train_network, nn.TrainOneStepWithLossScaleCell)

    # 2) Execute parameter update even if overflow occurs
    net = LeNet5()
    loss_scale = 1024.0
    loss_scale_manager = amp.FixedLossScaleManager(loss_scale, False)
    optim = nn.Momentum(params=net.trainable_params(), learning_rate=0.1, momentum=0.9, loss_scale=loss_scale)
    model = ms.Model(net, loss_fn=loss, loss_scale_manager=loss_scale_manager, optimizer=optim)
    model.train(1, data)
    assert isinstance(model.train_network, nn.TrainOneStepCell) and model.train_network.sens == loss_scale

    # mixed precision: O2 (float16 network, dynamic loss scale)
    net = LeNet5()
    optim = nn.Momentum(params=net.trainable_params(), learning_rate=0.01, momentum=0.9)
    model = ms.Model(net, loss_fn=loss, optimizer=optim, amp_level="O2")
    model.train(1, data)
    assert all(np.isfinite(p.asnumpy()).all() for p in net.trainable_params())
