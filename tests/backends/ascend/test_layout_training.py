"""LeNet-5 on the Ascend target with its blocked layouts: the dumps show the TransData nodes and the NC1HWC0 /
FRACTAL_Z operands, every convolution of the step (forward and both gradients) runs blocked, and training
follows the CPU's losses within float16 tolerance without being bit-identical."""

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
    ms.set_context(device_target="CPU", ascend_config=None, save_graphs=False)


def _train(target, steps, **context):
    """(losses, trained parameters, the train cell) of ``steps`` LeNet-5 steps on one batch of 8."""
    ms.set_context(device_target=target, **context)
    set_seed(0)
    net = LeNet5()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    train = nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.Momentum(net.trainable_params(), 0.01, 0.9))
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(8, 1, 32, 32)).astype(np.float32))
    y = Tensor(rng.integers(0, 10, 8).astype(np.int32))
    losses = np.array([float(train(x, y).asnumpy()) for _ in range(steps)])
    return losses, {p.name: p.asnumpy().copy() for p in net.trainable_params()}, train


def test_lenet_dumps_show_trans_data_and_the_blocked_formats(tmp_path):
    _, _, train = _train("Ascend", 1, save_graphs=True, save_graphs_path=str(tmp_path))
    [inserted] = glob.glob(str(tmp_path / "*TrainOneStepCell_*hwopt_d_insert_trans_op.ir"))
    [eliminated] = glob.glob(str(tmp_path / "*TrainOneStepCell_*hwopt_d_eliminate_redundant_op.ir"))
    for path in (inserted, eliminated):
        text = open(path).read()
        assert "TransData(" in text and "dst_format=NC1HWC0" in text and "dst_format=FRACTAL_Z" in text
        assert "src_format=FRACTAL_Z" in text  # the weight gradients come back from FRACTAL_Z
        convs = [line for line in text.splitlines() if "= Conv2D" in line]
        assert len(convs) == 5 and all("data_format=NC1HWC0" in line for line in convs)  # 2 forward, 1 dx, 2 dw
    nodes = train.compiled_graph().nodes
    blocked = [n for n in nodes if n.op.startswith("Conv2D")]
    assert len(blocked) == 5  # conv1 needs no dx (its input is the data)
    assert all(n.attrs["data_format"] == "NC1HWC0" for n in blocked)
    assert {len(n.shape) for n in blocked} == {4, 5}  # NC1HWC0 feature maps, FRACTAL_Z weight gradients
    assert all(n.shape[-1] == 16 for n in blocked)


def test_lenet_trains_on_blocked_layouts_like_the_cpu_within_float16_tolerance():
    cpu, cpu_params, _ = _train("CPU", 4)
    ascend, ascend_params, _ = _train("Ascend", 4)
    np.testing.assert_allclose(ascend, cpu, rtol=0.02)
    assert ascend[-1] < ascend[0]
    assert not all(np.array_equal(cpu_params[k], ascend_params[k]) for k in cpu_params)  # the Cube's float16
    exact, _, _ = _train("Ascend", 2, ascend_config={"precision_mode": "must_keep_origin_dtype"})
    np.testing.assert_allclose(exact, cpu[:2], rtol=1e-5)  # the layouts alone change only the summation order
