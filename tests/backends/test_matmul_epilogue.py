"""The CPU's epilogue fusion (backends/cpu/epilogue.py): which chains become MatMulEpilogue, which stay apart,
and that a fused training step gives the unfused step's numbers bit for bit."""

import numpy as np
import pytest

import minispore as ms
from minispore import Parameter, Tensor, nn, ops
from minispore.backends.cpu.epilogue import fuse_matmul_epilogues


@pytest.fixture(autouse=True)
def _context():
    yield
    ms.set_context(disabled_passes=(), device_target="CPU")


def _mlp_step(seed, disabled=()):
    ms.set_context(disabled_passes=disabled)
    ms.set_seed(seed)
    net = nn.SequentialCell([nn.Dense(6, 5), nn.ReLU(), nn.Dense(5, 4), nn.ReLU(), nn.Dense(4, 3)])
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    train = nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.Adam(net.trainable_params(), learning_rate=0.1))
    rng = np.random.default_rng(seed)
    x, y = Tensor(rng.standard_normal((8, 6)).astype(np.float32)), Tensor(rng.integers(0, 3, 8).astype(np.int32))
    losses = [float(train(x, y).asnumpy()) for _ in range(4)]
    return train, losses, [p.asnumpy().copy() for p in net.trainable_params()]


def test_mlp_chains_fuse_and_numbers_are_bitwise_the_unfused_ones():
    train, losses, params = _mlp_step(3)
    graph = train._compile_cache.last.graph
    epilogues = sorted(n.attrs["epilogue"] for n in graph.nodes if n.op == "MatMulEpilogue")
    # forward: two Dense+ReLU and the last Dense; backward: the two dX products read by a ReluGrad
    assert epilogues == ["bias", "bias_relu", "bias_relu", "relu_grad", "relu_grad"]
    assert not {"ReLU", "ReluGrad", "Add", "BiasAdd"} & set(graph.op_counts())
    _, base_losses, base_params = _mlp_step(3, disabled=("cpu_matmul_epilogue",))
    assert losses == base_losses
    for p, q in zip(params, base_params):
        np.testing.assert_array_equal(p, q)


class Shared(nn.Cell):
    """A product read twice (returned and biased) and a ReLU of a product without a bias: neither fuses."""

    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.ones((3, 3), np.float32)), name="w")
        self.b = Parameter(Tensor(np.ones((3,), np.float32)), name="b")

    def construct(self, x):
        p = ops.matmul(x, self.w)
        return p, ops.relu(p + self.b), ops.relu(ops.matmul(x, self.w, transpose_b=True))


def test_a_product_read_elsewhere_or_without_a_bias_is_left_alone():
    net = Shared()
    x = np.arange(6, dtype=np.float32).reshape(2, 3) - 2
    p, r, q = (t.asnumpy() for t in net(Tensor(x)))
    graph = net._compile_cache.last.graph
    np.testing.assert_array_equal(p, x @ np.ones((3, 3), np.float32))
    np.testing.assert_array_equal(r, np.maximum(p + 1, 0))
    np.testing.assert_array_equal(q, np.maximum(x @ np.ones((3, 3), np.float32), 0))
    assert "MatMulEpilogue" not in graph.op_counts()


def test_the_pass_leaves_a_graph_without_chains_unchanged():
    from minispore.graph.ir import Graph

    g = Graph("empty")
    assert fuse_matmul_epilogues(g) is g


def test_ascend_does_not_run_it():
    """Ascend reuses the CPU's passes, but its cube MatMul (float16 in, blocked layouts) must stay a MatMul."""
    ms.set_context(device_target="Ascend")
    train, _, _ = _mlp_step(3)
    assert "MatMulEpilogue" not in train._compile_cache.last.graph.op_counts()
