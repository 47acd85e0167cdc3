"""The Ascend target end to end: the same script trains with device_target="Ascend" (losses within 2% of the
CPU's, not bit-identical: the cube ops compute in float16), the precision modes of ascend_config, the
inserted Casts in the dumps, and the device-memory budget stopping a graph before its first step."""

import glob

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn
from minispore.nn.initializer import set_seed

from golden.networks import LeNet5  # the example's LeNet-5 (examples/lenet.py)


@pytest.fixture(autouse=True)
def _restore_context():
    yield
    ms.set_context(device_target="CPU", ascend_config=None, max_device_memory=None, save_graphs=False)


class ConvBN(nn.Cell):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, pad_mode="same")
        self.bn = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.flatten = nn.Flatten()
        self.fc = nn.Dense(8 * 6 * 6, 4)

    def construct(self, x):
        return self.fc(self.flatten(self.relu(self.bn(self.conv(x)))))


def _batch(shape, classes, batch, seed=0):
    rng = np.random.default_rng(seed)
    return (Tensor(rng.normal(size=(batch, *shape)).astype(np.float32)),
            Tensor(rng.integers(0, classes, batch).astype(np.int32)))


def _losses(target, make, shape, classes, steps=6, batch=8, **context):
    ms.set_context(device_target=target, **context)
    set_seed(0)
    net = make()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    train = nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.Momentum(net.trainable_params(), 0.01, 0.9))
    x, y = _batch(shape, classes, batch)
    losses = [float(train(x, y).asnumpy()) for _ in range(steps)]
    return np.array(losses), {p.name: p.asnumpy().copy() for p in net.trainable_params()}


@pytest.mark.parametrize("make, shape, classes", [(LeNet5, (1, 32, 32), 10), (ConvBN, (3, 6, 6), 4)],
                         ids=["LeNet5", "ConvBN"])
def test_trains_like_cpu_within_float16_tolerance_but_not_identically(make, shape, classes):
    cpu, cpu_params = _losses("CPU", make, shape, classes)
    ascend, ascend_params = _losses("Ascend", make, shape, classes)
    np.testing.assert_allclose(ascend, cpu, rtol=0.02)
    assert cpu[-1] < cpu[0] and ascend[-1] < ascend[0]
    assert not all(np.array_equal(cpu_params[k], ascend_params[k]) for k in cpu_params)  # the simulation is real


def test_must_keep_origin_dtype_computes_as_the_cpu_does():
    cpu, _ = _losses("CPU", LeNet5, (1, 32, 32), 10, steps=3)
    kept, _ = _losses("Ascend", LeNet5, (1, 32, 32), 10, steps=3,
                      ascend_config={"precision_mode": "must_keep_origin_dtype"})
    np.testing.assert_allclose(kept, cpu, rtol=1e-5)


def test_force_fp16_moves_vector_ops_to_float16_too():
    cpu, _ = _losses("CPU", LeNet5, (1, 32, 32), 10, steps=3)
    cube, _ = _losses("Ascend", LeNet5, (1, 32, 32), 10, steps=3)
    every, _ = _losses("Ascend", LeNet5, (1, 32, 32), 10, steps=3, ascend_config={"precision_mode": "force_fp16"})
    np.testing.assert_allclose(every, cpu, rtol=0.02)
    assert np.abs(every - cpu).max() > np.abs(cube - cpu).max()  # more float16 rounding than cube ops alone


def test_cube_casts_are_in_the_dumps(tmp_path):
    _losses("Ascend", LeNet5, (1, 32, 32), 10, steps=1, save_graphs=True, save_graphs_path=str(tmp_path))
    [after] = glob.glob(str(tmp_path / "*TrainOneStepCell_*hwopt_d_insert_cast.ir"))
    text = open(after).read()
    assert "Cast" in text and "float16" in text
    conv_lines = [line for line in text.splitlines() if " Conv2D(" in line or "= Conv2D" in line]
    assert conv_lines and all("float16" in line for line in conv_lines)


@pytest.mark.parametrize("config, error", [({"precision_mode": "fp16"}, ValueError), ({"unknown": 1}, ValueError),
                                           ("force_fp16", TypeError)])
def test_ascend_config_is_checked(config, error):
    with pytest.raises(error, match="ascend_config"):
        ms.set_context(ascend_config=config)


@pytest.mark.parametrize("value", ["2MB", "1.5", 2, "-1GB", "0GB"])
def test_max_device_memory_format_is_checked(value):
    with pytest.raises(ValueError, match="max_device_memory"):
        ms.set_context(max_device_memory=value)


def test_a_small_device_memory_stops_lenet_before_the_first_step():
    ms.set_context(device_target="Ascend", max_device_memory="0.002GB")  # about 2 MB
    set_seed(0)
    net = LeNet5()
    train = nn.TrainOneStepCell(nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True)),
                                nn.Momentum(net.trainable_params(), 0.01, 0.9))
    before = {p.name: p.asnumpy().copy() for p in net.trainable_params()}
    x, y = _batch((1, 32, 32), 10, 256)
    with pytest.raises(MemoryError) as err:
        train(x, y)
    text = str(err.value)
    assert "Out of Memory!!! Request memory size:" in text and "Device HBM memory size: 2M" in text
    assert "Total Static Memory size:" in text and "Dynamic memory size of this graph:" in text
    assert "reduce 'batch_size'" in text
    assert isinstance(err.value, RuntimeError)  # MindSpore raises RuntimeError
    for p in net.trainable_params():
        np.testing.assert_array_equal(p.asnumpy(), before[p.name])  # no step ran
    ms.set_context(max_device_memory="1GB")
    assert np.isfinite(train(x, y).asnumpy()).all()  # the same graph fits a larger budget


def test_the_ascend_passes_are_named_and_can_be_disabled(tmp_path):
    from minispore.backends.ascend import AscendBackend
    from minispore.runtime.compiler import current_backend

    ms.set_context(device_target="Ascend")
    assert {name for name, _ in current_backend().passes()} == set(AscendBackend.pass_names)
    _losses("Ascend", LeNet5, (1, 32, 32), 10, steps=1, save_graphs=True, save_graphs_path=str(tmp_path),
            disabled_passes=("hwopt_d_insert_trans_op",))
    ms.set_context(disabled_passes=())
    [final] = glob.glob(str(tmp_path / "*TrainOneStepCell_*multi_tensor.ir"))
    assert "TransData" not in open(final).read()
    assert not glob.glob(str(tmp_path / "*hwopt_d_insert_trans_op.ir"))
