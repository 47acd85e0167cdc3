"""Activation cells (compiled for the CPU target) against independent numpy formulas, their
gradients, MindSpore's documented examples, and argument checking."""

import math

import numpy as np
import pytest

import minispore as ms
from minispore import nn

R = np.random.default_rng(3)
X = (R.standard_normal((4, 6)) * 3).astype(np.float32)
X[0, :3] = [0.0, 6.0, -0.0]  # the kinks of ReLU / ReLU6


def _erf(x):
    return np.vectorize(math.erf)(x)


def _softmax(x, axis):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _ms_tanh(x):
    """MindSpore's CPU Tanh: a [7/6] Pade approximant, +-1 for |x| > 5 (nnacl TanhOpt)."""
    s = x.astype(np.float64) ** 2
    t = (((s + 378) * s + 17325) * s + 135135) * x / (((28 * s + 3150) * s + 62370) * s + 135135)
    return np.where(x > 5, 1.0, np.where(x < -5, -1.0, t))


K = math.sqrt(2 / math.pi)

FORWARD = [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.ReLU6(), lambda x: np.minimum(np.maximum(x, 0), 6)),
    (nn.LeakyReLU(), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.LeakyReLU(alpha=0.01), lambda x: np.where(x > 0, x, 0.01 * x)),
    (nn.Sigmoid(), _sig),
    (nn.Tanh(), _ms_tanh),
    (nn.GELU(), lambda x: 0.5 * x * (1 + np.tanh(K * (x + 0.044715 * x ** 3)))),
    (nn.GELU(approximate=False), lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
    (nn.ELU(), lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    (nn.ELU(alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * (np.exp(x) - 1))),
    (nn.Softmax(), lambda x: _softmax(x, -1)),
    (nn.Softmax(axis=0), lambda x: _softmax(x, 0)),
    (nn.Softmax(axis=(1,)), lambda x: _softmax(x, 1)),
    (nn.LogSoftmax(), lambda x: np.log(_softmax(x, -1))),
    (nn.LogSoftmax(axis=0), lambda x: np.log(_softmax(x, 0))),
    (nn.Softplus(), lambda x: np.where(x > 20, x, np.log1p(np.exp(x)))),
    (nn.Softplus(beta=2.0, threshold=5.0), lambda x: np.where(2 * x > 5, x, np.log1p(np.exp(2 * x)) / 2)),
    (nn.SiLU(), lambda x: x * _sig(x)),
]
IDS = [f"{type(c).__name__}-{i}" for i, (c, _) in enumerate(FORWARD)]


@pytest.mark.parametrize("cell,ref", FORWARD, ids=IDS)
def test_cell_matches_numpy(cell, ref):
    got = cell(ms.Tensor(X)).asnumpy()
    want = ref(X.astype(np.float64))
    assert got.dtype == np.float32 and got.shape == X.shape
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)


DERIVATIVE = [
    (nn.ReLU(), lambda x: (x > 0) * 1.0),  # 0 at exactly 0, as MindSpore's ReluGrad
    (nn.ReLU6(), lambda x: ((x > 0) & (x <= 6)) * 1.0),  # MindSpore: passes at 6, 0 at 0
    (nn.LeakyReLU(alpha=0.3), lambda x: np.where(x > 0, 1.0, np.where(x < 0, 0.3, 0.65))),  # Maximum's tie
    (nn.Sigmoid(), lambda x: _sig(x) * (1 - _sig(x))),
    (nn.Tanh(), lambda x: 1 - _ms_tanh(x) ** 2),
    (nn.GELU(approximate=False), lambda x: 0.5 * (1 + _erf(x / math.sqrt(2))) + x * np.exp(-x * x / 2) / math.sqrt(
        2 * math.pi)),
    (nn.ELU(alpha=0.7), lambda x: np.where(x > 0, 1.0, 0.7 * np.exp(x))),
    (nn.Softplus(), _sig),
    (nn.SiLU(), lambda x: _sig(x) * (1 + x * (1 - _sig(x)))),
]


@pytest.mark.parametrize("cell,deriv", DERIVATIVE, ids=[type(c).__name__ for c, _ in DERIVATIVE])
def test_elementwise_cell_gradient(cell, deriv):
    sens = R.standard_normal(X.shape).astype(np.float32)
    g = ms.grad(lambda x, s: (cell(x) * s).sum())(ms.Tensor(X), ms.Tensor(sens)).asnumpy()
    np.testing.assert_allclose(g, sens * deriv(X.astype(np.float64)), rtol=1e-5, atol=1e-6)


def test_relu_gradient_at_zero_is_zero():
    x = ms.Tensor(np.array([-1.0, 0.0, -0.0, 1e-30, 2.0], np.float32))
    g = ms.grad(lambda t: nn.ReLU()(t).sum())(x).asnumpy()
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0, 1.0, 1.0])


@pytest.mark.parametrize("cell", [nn.Softmax(axis=1), nn.LogSoftmax(axis=0)], ids=["Softmax", "LogSoftmax"])
def test_softmax_cell_gradient(cell):
    axis = cell.axis
    sens = R.standard_normal(X.shape)
    g = ms.grad(lambda x, s: (cell(x) * s).sum())(ms.Tensor(X), ms.Tensor(sens.astype(np.float32))).asnumpy()
    x = X.astype(np.float64)
    y = _softmax(x, axis)
    if isinstance(cell, nn.Softmax):
        want = y * (sens - (sens * y).sum(axis, keepdims=True))
    else:
        want = sens - y * sens.sum(axis, keepdims=True)
    np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-6)


def test_softmax_is_stable_for_large_logits():
    x = ms.Tensor(np.array([[1000.0, 0.0, -1000.0], [88.0, 89.0, 90.0]], np.float32))
    y = nn.Softmax()(x).asnumpy()
    assert np.isfinite(y).all()
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-6)
    ly = nn.LogSoftmax()(x).asnumpy()
    np.testing.assert_allclose(ly[0], [0.0, -1000.0, -2000.0], rtol=1e-6)


def test_gelu_matches_mindspore_doc_example():
    # The examples of mindspore.nn.GELU (tanh approximation by default, erf with approximate=False).
    x = ms.Tensor(np.array([[-1.0, 4.0, -8.0], [2.0, -5.0, 9.0]], np.float32))
    np.testing.assert_allclose(nn.GELU()(x).asnumpy(), [[-1.5880802e-01, 3.9999299e+00, -3.1077917e-21],
                                                         [1.9545976e+00, -2.2918017e-07, 9.0]], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(nn.GELU(approximate=False)(x).asnumpy(),
                               [[-1.5865526e-01, 3.9998732e+00, 0.0], [1.9544997e+00, -1.4901161e-06, 9.0]],
                               rtol=1e-5, atol=1e-6)


def test_get_activation():
    assert isinstance(nn.get_activation("relu"), nn.ReLU)
    assert isinstance(nn.get_activation("gelu"), nn.GELU) and nn.get_activation("gelu").approximate is True
    assert isinstance(nn.get_activation("leakyrelu"), nn.LeakyReLU)
    assert nn.get_activation(None) is None
    with pytest.raises(KeyError, match="For 'Dense', the 'name' must be in"):
        nn.get_activation("swish!", prim_name="Dense")


def test_argument_checks():
    with pytest.raises(TypeError, match="For 'LeakyReLU'"):
        nn.LeakyReLU(alpha="0.1")
    with pytest.raises(TypeError, match="For 'GELU'"):
        nn.GELU(approximate=1)
    with pytest.raises(TypeError, match="For 'LogSoftmax'"):
        nn.LogSoftmax(axis=(0,))
    with pytest.raises(ValueError, match="For 'Softmax', 'axis' must be in range"):
        nn.Softmax(axis=2)(ms.Tensor(X))
    with pytest.raises((TypeError, ValueError), match="For 'Sigmoid', the input must be a floating-point"):
        nn.Sigmoid()(ms.Tensor(np.array([1, 2], np.int32)))


def test_integer_relu_keeps_dtype():
    y = nn.ReLU()(ms.Tensor(np.array([-3, 0, 4], np.int32)))
    assert y.dtype == ms.int32
    np.testing.assert_array_equal(y.asnumpy(), [0, 0, 4])
