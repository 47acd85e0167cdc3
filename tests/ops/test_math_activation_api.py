"""The functional forms and primitive classes of ops/math.py, ops/activation.py and ops/softmax.py:
MindSpore names, dtype handling, scalar operands, argument checks and the gradient conventions
(|x|' = 0 and ReLU' = 0 at x = 0). The op definitions themselves are checked by
test_op_definitions.py."""

import math

import numpy as np
import pytest

import minispore as ms
from minispore import ops

R = np.random.default_rng(5)
P = (R.random((3, 4)) + 0.5).astype(np.float32)
X = R.standard_normal((3, 4)).astype(np.float32)


class Net(ms.nn.Cell):
    """Runs ``fn`` compiled (Cells always compile), as user code would."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def construct(self, *xs):
        return self.fn(*xs)


def compiled(fn, *xs):
    return Net(fn)(*[ms.Tensor(x) for x in xs]).asnumpy()


@pytest.mark.parametrize("name,ref", [
    ("exp", np.exp), ("log", np.log), ("sqrt", np.sqrt), ("rsqrt", lambda x: 1 / np.sqrt(x)),
    ("abs", np.abs), ("sign", np.sign), ("square", np.square), ("reciprocal", np.reciprocal),
    ("log1p", np.log1p), ("floor", np.floor)])
def test_unary_functional_and_primitive(name, ref):
    prim = getattr(ops, "".join(p.capitalize() for p in name.split("_")))()
    want = ref(P.astype(np.float64))
    for fn in (getattr(ops, name), prim):
        np.testing.assert_allclose(compiled(fn, P), want, rtol=2e-5, atol=1e-6)
        np.testing.assert_allclose(fn(ms.Tensor(P)).asnumpy(), want, rtol=2e-5, atol=1e-6)  # eager


def test_transcendental_ops_promote_integers_to_float32():
    x = np.array([1, 2, 4], np.int32)
    for fn in (ops.exp, ops.log, ops.sqrt, ops.rsqrt, ops.reciprocal, ops.log1p):
        y = Net(fn)(ms.Tensor(x))
        assert y.dtype == ms.float32
    assert ops.square(ms.Tensor(x)).dtype == ms.int32 and ops.abs(ms.Tensor(-x)).dtype == ms.int32


def test_pow_with_tensors_and_scalars():
    np.testing.assert_allclose(compiled(lambda a: a ** 2, P), P ** 2, rtol=1e-6)
    np.testing.assert_allclose(compiled(lambda a: 2 ** a, P), 2.0 ** P, rtol=1e-6)
    np.testing.assert_allclose(compiled(lambda a: ops.pow(a, 0.5), P), np.sqrt(P), rtol=1e-6)
    np.testing.assert_allclose(compiled(ops.Pow(), P, X), P.astype(np.float64) ** X, rtol=2e-5)
    assert compiled(lambda a: a ** 2, np.array([3], np.int32)).tolist() == [9]


def test_pow_gradients():
    gx, gy = ms.grad(lambda a, b: ops.pow(a, b).sum(), grad_position=(0, 1))(ms.Tensor(P), ms.Tensor(X))
    x, y = P.astype(np.float64), X.astype(np.float64)
    np.testing.assert_allclose(gx.asnumpy(), y * x ** (y - 1), rtol=1e-5)
    np.testing.assert_allclose(gy.asnumpy(), x ** y * np.log(x), rtol=1e-5, atol=1e-6)
    # MindSpore 2.10's bprop: d/dy is 0 at a zero base with y >= 0 and NaN at a negative base (log(-2)).
    base = ms.Tensor(np.array([0.0, -2.0, 4.0], np.float32))
    gy = ms.grad(lambda a, b: ops.pow(a, b).sum(), grad_position=1)(base, ms.Tensor(np.full(3, 2.0, np.float32)))
    np.testing.assert_allclose(gy.asnumpy(), [0.0, np.nan, 16 * math.log(4)], rtol=1e-6)


def test_abs_gradient_at_zero_is_zero():
    x = ms.Tensor(np.array([-2.0, 0.0, 3.0], np.float32))
    np.testing.assert_array_equal(ms.grad(lambda t: ops.abs(t).sum())(x).asnumpy(), [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(ms.grad(lambda t: abs(t).sum())(x).asnumpy(), [-1.0, 0.0, 1.0])


def test_tensor_methods_use_these_ops():
    t = ms.Tensor(P)
    np.testing.assert_allclose(t.exp().asnumpy(), np.exp(P), rtol=1e-6)
    np.testing.assert_allclose(t.log().asnumpy(), np.log(P), rtol=1e-6)
    np.testing.assert_allclose(t.sqrt().asnumpy(), np.sqrt(P), rtol=1e-6)
    np.testing.assert_allclose(t.square().asnumpy(), P * P, rtol=1e-6)
    np.testing.assert_allclose((-t).abs().asnumpy(), P, rtol=1e-6)


def test_activation_functionals_and_primitives():
    x = ms.Tensor(X)
    np.testing.assert_allclose(compiled(ops.relu, X), np.maximum(X, 0))
    np.testing.assert_allclose(compiled(ops.ReLU(), X), np.maximum(X, 0))
    np.testing.assert_allclose(compiled(ops.ReLU6(), X * 5), np.clip(X * 5, 0, 6))
    np.testing.assert_allclose(ops.leaky_relu(x).asnumpy(), np.where(X > 0, X, 0.2 * X), rtol=1e-6)
    np.testing.assert_allclose(compiled(ops.Sigmoid(), X), 1 / (1 + np.exp(-X.astype(np.float64))), rtol=1e-6)
    np.testing.assert_allclose(compiled(ops.Tanh(), X), np.tanh(X), rtol=2e-5)  # MindSpore's approximant
    np.testing.assert_allclose(compiled(ops.Elu(), X), np.where(X > 0, X, np.expm1(X)), rtol=1e-6)
    np.testing.assert_allclose(compiled(ops.Softplus(), X), np.log1p(np.exp(X.astype(np.float64))), rtol=1e-6)
    np.testing.assert_allclose(compiled(ops.silu, X), X / (1 + np.exp(-X.astype(np.float64))), rtol=1e-6)


def test_gelu_defaults():
    # ops.gelu defaults to the exact erf form; the GeLU primitive (and nn.GELU) to the tanh approximation.
    x = ms.Tensor(np.array([1.0, 2.0, 3.0], np.float32))
    np.testing.assert_allclose(ops.gelu(x).asnumpy(), [0.8413447, 1.9544997, 2.9959505], rtol=1e-6)
    np.testing.assert_allclose(compiled(ops.GeLU(), x.asnumpy()), [0.841192, 1.9545976, 2.9963627], rtol=1e-6)
    np.testing.assert_allclose(compiled(lambda t: ops.gelu(t, "tanh"), x.asnumpy()), [0.841192, 1.9545976,
                                                                                     2.9963627], rtol=1e-6)
    with pytest.raises(ValueError, match="For 'gelu', 'approximate' must be 'none' or 'tanh'"):
        ops.gelu(x, approximate=True)


def test_softmax_functional_and_primitive():
    x3 = R.standard_normal((2, 3, 4)).astype(np.float32)
    for axis in (0, 1, 2, -1, (1,)):
        a = axis[0] if isinstance(axis, tuple) else axis
        e = np.exp(x3 - x3.max(a, keepdims=True))
        want = e / e.sum(a, keepdims=True)
        np.testing.assert_allclose(compiled(ops.Softmax(axis), x3), want, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(compiled(lambda t, a=axis: ops.softmax(t, a), x3), want, rtol=1e-5, atol=1e-7)
        if not isinstance(axis, tuple):
            np.testing.assert_allclose(compiled(ops.LogSoftmax(axis), x3), np.log(want), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="For 'Softmax', 'axis' must be in range"):
        ops.softmax(ms.Tensor(x3), 3)
    with pytest.raises(TypeError, match="For 'LogSoftmax', 'axis' must be an int"):
        ops.log_softmax(ms.Tensor(x3), 1.0)
    assert ops.softmax(ms.Tensor(x3), dtype=ms.float64).dtype == ms.float64


def test_softplus_beta_and_threshold():
    x = np.array([-3.0, 0.5, 4.0, 30.0], np.float32)
    want = np.where(2 * x > 10, x, np.log1p(np.exp(2 * x.astype(np.float64))) / 2)
    np.testing.assert_allclose(compiled(lambda t: ops.softplus(t, beta=2, threshold=10), x), want, rtol=1e-6)


def test_leaky_relu_checks_alpha():
    with pytest.raises(TypeError, match="For 'leaky_relu', 'alpha' must be a float"):
        ops.leaky_relu(ms.Tensor(X), alpha="big")
