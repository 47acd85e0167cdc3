"""grad / value_and_grad: MindSpore's nesting of position, weight and auxiliary outputs, and the code of
MindSpore's autograd tutorial (function, has_aux, stop_gradient, a Cell's weights)."""

import numpy as np
import pytest

import minispore as ms
from minispore import Parameter, Tensor, nn, ops

X = Tensor(np.array([1.0, 2.0], np.float32))
Y = Tensor(np.array([3.0, 4.0], np.float32))
W = Parameter(Tensor(np.array([0.5, 0.25], np.float32)), name="w_aux")


def f(x, y):
    return (x * y * W).sum(), x + y, y


def shape_of(r):
    return tuple(shape_of(i) for i in r) if isinstance(r, tuple) else "T"


# shapes recorded from MindSpore 2.10 (CPU, both modes)
NESTING = [
    (lambda: ms.grad(f, 0, has_aux=True), ("T", ("T", "T"))),
    (lambda: ms.grad(f, (0,), has_aux=True), ("T", ("T", "T"))),
    (lambda: ms.grad(f, (0, 1), has_aux=True), (("T", "T"), ("T", "T"))),
    (lambda: ms.grad(f, None, (W,), has_aux=True), (("T",), ("T", "T"))),
    (lambda: ms.grad(f, 0, (W,), has_aux=True), (("T", ("T",)), ("T", "T"))),
    (lambda: ms.value_and_grad(f, 0, has_aux=True), (("T", "T", "T"), "T")),
    (lambda: ms.value_and_grad(f, None, [W], has_aux=True), (("T", "T", "T"), ("T",))),
    (lambda: ms.value_and_grad(f, (0,), [W], has_aux=True), (("T", "T", "T"), ("T", ("T",)))),
    (lambda: ms.grad(lambda x, y: (x * y).sum(), (0,)), "T"),
    (lambda: ms.value_and_grad(lambda x, y: (x * y).sum(), 0), ("T", "T")),
]


@pytest.mark.parametrize("i", range(len(NESTING)))
def test_nesting_matches_mindspore(i):
    make, want = NESTING[i]
    assert shape_of(make()(X, Y)) == want


def test_aux_values():
    grads, (s, y) = ms.grad(f, 0, has_aux=True)(X, Y)
    np.testing.assert_allclose(grads.asnumpy(), (Y * W).asnumpy())
    np.testing.assert_allclose(s.asnumpy(), [4.0, 6.0])
    np.testing.assert_allclose(y.asnumpy(), Y.asnumpy())
    with pytest.raises(ValueError, match="more than one outputs"):
        ms.grad(lambda x, y: (x * y).sum(), 0, has_aux=True)(X, Y)


def _bce(z, y):
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def test_autograd_tutorial():
    rng = np.random.default_rng(0)
    x = ops.ones(5, ms.float32)
    y = ops.zeros(3, ms.float32)
    w = Parameter(Tensor(rng.standard_normal((5, 3)), ms.float32), name="w")
    b = Parameter(Tensor(rng.standard_normal((3,)), ms.float32), name="b")

    def function(x, y, w, b):
        z = ops.matmul(x, w) + b
        loss = ops.binary_cross_entropy_with_logits(z, y, ops.ones_like(z), ops.ones_like(z))
        return loss

    z_np = np.ones(5, np.float32) @ w.asnumpy() + b.asnumpy()
    np.testing.assert_allclose(function(x, y, w, b).asnumpy(), _bce(z_np, 0.0), rtol=1e-5)
    dz = 1 / (1 + np.exp(-z_np)) / 3  # d mean(bce) / dz with y = 0
    grads = ms.grad(function, (2, 3))(x, y, w, b)
    np.testing.assert_allclose(grads[0].asnumpy(), np.outer(np.ones(5), dz), rtol=1e-5)
    np.testing.assert_allclose(grads[1].asnumpy(), dz, rtol=1e-5)

    def function_with_logits(x, y, w, b):
        z = ops.matmul(x, w) + b
        loss = ops.binary_cross_entropy_with_logits(z, y, ops.ones_like(z), ops.ones_like(z))
        return loss, z

    grads, (z,) = ms.grad(function_with_logits, (2, 3), has_aux=True)(x, y, w, b)
    np.testing.assert_allclose(z.asnumpy(), z_np, rtol=1e-5)
    np.testing.assert_allclose(grads[1].asnumpy(), dz, rtol=1e-5)

    def function_stop_gradient(x, y, w, b):
        z = ops.matmul(x, w) + b
        loss = ops.binary_cross_entropy_with_logits(z, y, ops.ones_like(z), ops.ones_like(z))
        return loss, ops.stop_gradient(z)

    grads = ms.grad(function_stop_gradient, (2, 3))(x, y, w, b)
    np.testing.assert_allclose(grads[1].asnumpy(), dz, rtol=1e-5)

    class Network(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = w
            self.b = b

        def construct(self, x):
            return ops.matmul(x, self.w) + self.b

    model = Network()
    loss_fn = nn.BCEWithLogitsLoss()

    def forward_fn(x, y):
        return loss_fn(model(x), y)

    loss, grads = ms.value_and_grad(forward_fn, None, weights=model.trainable_params())(x, y)
    np.testing.assert_allclose(loss.asnumpy(), _bce(z_np, 0.0), rtol=1e-5)
    assert len(grads) == 2
    np.testing.assert_allclose(grads[1].asnumpy(), dz, rtol=1e-5)
