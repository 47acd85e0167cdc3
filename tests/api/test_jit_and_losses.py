"""minispore.jit (functions and a Cell's construct), stop_gradient/depend, the functional losses,
nn.MAELoss / LossBase.get_loss and ops.matmul's numpy broadcasting (values from MindSpore 2.10 on CPU)."""

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn, ops
from minispore.graph.session import SESSION

X = Tensor(np.array([1.0, 2.0], np.float32))


def test_jit_function_compiles_once_per_signature():
    calls = []

    @ms.jit
    def f(a, b, scale=2.0):
        calls.append(1)  # runs while tracing only
        return a * b * scale + 1

    np.testing.assert_allclose(f(X, X).asnumpy(), [3.0, 9.0])
    np.testing.assert_allclose(f(X + 1, X).asnumpy(), [5.0, 13.0])
    assert len(calls) == 1  # same shapes and dtypes: the cached graph
    np.testing.assert_allclose(f(X, X, scale=1.0).asnumpy(), [2.0, 5.0])  # a new constant: a new graph
    f(Tensor(np.ones((2, 2), np.float32)), Tensor(np.ones((2, 2), np.float32)))
    assert len(calls) == 3


def test_jit_options_and_construct():
    @ms.jit(jit_level="O1", capture_mode="ast", jit_config=ms.JitConfig(jit_level="O1"), mode="PSJit",
            input_signature=None)
    def g(a):
        return ops.relu(a - 1.5)

    np.testing.assert_allclose(g(X).asnumpy(), [0.0, 0.5])
    with pytest.raises(ValueError):
        ms.jit(capture_mode="nope")

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.dense = nn.Dense(2, 1, weight_init="ones", bias_init="zeros")

        @ms.jit
        def construct(self, x):
            return self.dense(x)

    net = Net()
    np.testing.assert_allclose(net(X.reshape((1, 2))).asnumpy(), [[3.0]])
    np.testing.assert_allclose(net.construct(X.reshape((1, 2))).asnumpy(), [[3.0]])
    assert SESSION.runner is not None


def test_stop_gradient_and_depend():
    def fn(a):
        return (a * ops.stop_gradient(a)).sum() + ops.depend(a, a * 2).sum()

    np.testing.assert_allclose(ms.grad(fn)(X).asnumpy(), [2.0, 3.0])  # d/da (a * c) + 1 with c = a


def test_functional_losses():
    logits = Tensor(np.array([[1.0, 2.0, 3.0]], np.float32))
    np.testing.assert_allclose(ops.cross_entropy(logits, Tensor(np.array([1], np.int32))).asnumpy(), 1.4076059,
                               rtol=1e-6)
    np.testing.assert_allclose(ops.binary_cross_entropy_with_logits(X, X / 4, ops.ones_like(X), ops.ones_like(X))
                               .asnumpy(), 1.0950949, rtol=1e-6)
    np.testing.assert_allclose(ops.mse_loss(X, X * 3).asnumpy(), 10.0)
    np.testing.assert_allclose(ops.mse_loss(X, X * 3, reduction="none").asnumpy(), [4.0, 16.0])
    np.testing.assert_allclose(ops.l1_loss(X, X * 3, reduction="sum").asnumpy(), 6.0)
    np.testing.assert_allclose(nn.MAELoss()(X, X * 3).asnumpy(), 3.0)


def test_loss_base_get_loss():
    class L(nn.LossBase):
        def construct(self, a, b):
            return self.get_loss(ops.abs(a - b), Tensor(np.array([1.0, 2.0], np.float32)))

    # MindSpore 2.10: 2.5, 5.0, [1. 4.]
    np.testing.assert_allclose(L()(X, X * 2).asnumpy(), 2.5)
    np.testing.assert_allclose(L("sum")(X, X * 2).asnumpy(), 5.0)
    np.testing.assert_allclose(L("none")(X, X * 2).asnumpy(), [1.0, 4.0])


@pytest.mark.parametrize("a, b", [((3,), (3,)), ((2, 1, 4, 3), (5, 3, 2)), ((3,), (5, 3, 2)), ((4, 3), (3,)),
                                  ((2, 4, 3), (3, 2)), ((2, 3, 4), (2, 4, 5))])
def test_matmul_broadcasts_as_numpy(a, b):
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(a).astype(np.float32), rng.standard_normal(b).astype(np.float32)
    out = ops.matmul(Tensor(x), Tensor(y))
    assert out.shape == np.matmul(x, y).shape
    np.testing.assert_allclose(out.asnumpy(), np.matmul(x, y), rtol=1e-5, atol=1e-6)


def test_matmul_gradient_unbroadcasts_and_primitive_is_2d():
    x, y = Tensor(np.ones((2, 1, 4, 3), np.float32)), Tensor(np.ones((5, 3, 2), np.float32))
    gx, gy = ms.grad(lambda a, b: ops.matmul(a, b).sum(), (0, 1))(x, y)
    np.testing.assert_allclose(gx.asnumpy(), np.full((2, 1, 4, 3), 10.0))  # 5 batches x 2 columns
    np.testing.assert_allclose(gy.asnumpy(), np.full((5, 3, 2), 8.0))  # 2 batches x 4 rows
    with pytest.raises(ValueError, match="2-D"):
        ops.MatMul()(Tensor(np.ones((2, 3, 4), np.float32)), Tensor(np.ones((2, 4, 5), np.float32)))
