"""Gradients at the kink points and ties of piecewise ops, against values recorded from MindSpore 2.10.0
(CPU wheel from PyPI in a separate venv, PyNative mode, ``mindspore.vjp``) on 2026-12-06. MindSpore is not
needed to run these tests: the recorded numbers are the tables below.

MindSpore's rules seen there: ReluGrad is 0 at x == 0; ReLU6Grad passes dout at x == 6 and is 0 at x == 0;
Maximum/MinimumGrad split a tie in half between the inputs; LeakyReLU is Maximum(alpha * x, x) (Minimum
for alpha > 1), so its gradient at 0 is (1 + alpha) / 2 * dout; Abs' gradient at 0 is 0; ELU's at 0 is
dout; Softplus(beta, threshold) switches to x only where beta * x > threshold; Tanh is a rational
approximation that is exactly +-1 for |x| > 5 (gradient 0 there); Pow's gradient with respect to the
exponent is out * log(x) * dout but 0 where x == 0 and exponent >= 0 (NaN for negative bases, -inf for
0 ** negative); Tensor.max/min with one int axis are ArgMaxWithValue/ArgMinWithValue, whose gradient goes
to the first tied extreme only (with no axis or a tuple of axes they are ReduceMax/ReduceMin, which split
ties evenly)."""

import numpy as np
import pytest

import minispore as ms
from minispore import nn, ops

X = [-7.0, -6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 7.0]
DOUT = [float(i + 1) for i in range(len(X))]

# d(sum(f(x) * DOUT))/dx recorded from MindSpore 2.10.0
MS_GRAD = {
    "ops.relu": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 7.0, 8.0, 9.0, 10.0, 11.0],
    "ops.relu6": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 7.0, 8.0, 9.0, 10.0, 0.0],
    "ops.leaky_relu(0.2)": [
        0.20000000298023224,
        0.4000000059604645,
        0.6000000238418579,
        0.800000011920929,
        1.0,
        3.5999999046325684,
        7.0,
        8.0,
        9.0,
        10.0,
        11.0,
    ],
    "nn.LeakyReLU(1.5)": [1.5, 3.0, 4.5, 6.0, 7.5, 7.5, 7.0, 8.0, 9.0, 10.0, 11.0],
    "ops.abs": [-1.0, -2.0, -3.0, -4.0, -5.0, 0.0, 7.0, 8.0, 9.0, 10.0, 11.0],
    "nn.ELU": [
        0.0009118914604187012,
        0.004957437515258789,
        0.14936113357543945,
        1.47151517868042,
        3.0326523780822754,
        6.0,
        7.0,
        8.0,
        9.0,
        10.0,
        11.0,
    ],
    "max_x_0": [0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 7.0, 8.0, 9.0, 10.0, 11.0],
    "min_x_0": [1.0, 2.0, 3.0, 4.0, 5.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    "softplus(2,6)": [
        8.315250852319878e-07,
        1.2288312973396387e-05,
        0.007417859975248575,
        0.4768114686012268,
        1.3447078466415405,
        3.0,
        5.117412567138672,
        7.046377182006836,
        8.977746963500977,
        10.0,
        11.0,
    ],
    "nn.Tanh": [
        0.0,
        0.0,
        0.0295926071703434,
        1.6798971891403198,
        3.9322385787963867,
        6.0,
        5.505134105682373,
        3.3597943782806396,
        0.0887778252363205,
        0.0,
        0.0,
    ],
}

FNS = {
    "ops.relu": ops.relu,
    "ops.relu6": ops.relu6,
    "ops.leaky_relu(0.2)": lambda x: ops.leaky_relu(x, 0.2),
    "nn.LeakyReLU(1.5)": nn.LeakyReLU(1.5),
    "ops.abs": ops.abs,
    "nn.ELU": nn.ELU(),
    "max_x_0": lambda x: ops.maximum(x, ms.Tensor(np.float32(0.0))),
    "min_x_0": lambda x: ops.minimum(x, ms.Tensor(np.float32(0.0))),
    "softplus(2,6)": lambda x: ops.softplus(x, 2.0, 6.0),
    "nn.Tanh": nn.Tanh(),
}

# (x, y, dout) -> (out, [dx, dy]) recorded from MindSpore 2.10.0
MS_MINMAX = {
    "maximum": (
        [1.0, 2.0, 3.0, 0.0, -1.0],
        [1.0, 1.0, 3.0, 0.0, 2.0],
        [1.0, 2.0, 3.0, 4.0, 5.0],
        [[1.0, 2.0, 3.0, 0.0, 2.0], [[0.5, 2.0, 1.5, 2.0, 0.0], [0.5, 0.0, 1.5, 2.0, 5.0]]],
    ),
    "minimum": (
        [1.0, 2.0, 3.0, 0.0, -1.0],
        [1.0, 1.0, 3.0, 0.0, 2.0],
        [1.0, 2.0, 3.0, 4.0, 5.0],
        [[1.0, 1.0, 3.0, 0.0, -1.0], [[0.5, 0.0, 1.5, 2.0, 5.0], [0.5, 2.0, 1.5, 2.0, 0.0]]],
    ),
    "maximum_bcast": (
        [[1.0, 2.0], [2.0, 0.0]],
        [2.0, 0.0],
        [[1.0, 2.0], [3.0, 4.0]],
        [[[2.0, 2.0], [2.0, 0.0]], [[[0.0, 2.0], [1.5, 2.0]], [2.5, 2.0]]],
    ),
    "minimum_bcast": (
        [[1.0, 2.0], [2.0, 0.0]],
        [2.0, 0.0],
        [[1.0, 2.0], [3.0, 4.0]],
        [[[1.0, 0.0], [2.0, 0.0]], [[[1.0, 0.0], [1.5, 2.0]], [1.5, 4.0]]],
    ),
}


def _f32(a):
    return ms.Tensor(np.array(a, np.float32))


@pytest.mark.parametrize("name", list(MS_GRAD))
def test_gradient_at_kinks_matches_mindspore(name):
    fn = FNS[name]
    g = ops.grad(lambda t: (fn(t) * _f32(DOUT)).sum())(_f32(X))
    np.testing.assert_allclose(g.asnumpy(), MS_GRAD[name], rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", list(MS_MINMAX))
def test_maximum_minimum_split_ties_like_mindspore(name):
    x, y, dout, (want_out, (want_dx, want_dy)) = MS_MINMAX[name]
    fn = ops.maximum if name.startswith("maximum") else ops.minimum
    np.testing.assert_array_equal(fn(_f32(x), _f32(y)).asnumpy(), want_out)
    dx, dy = ops.grad(lambda a, b: (fn(a, b) * _f32(dout)).sum(), grad_position=(0, 1))(_f32(x), _f32(y))
    np.testing.assert_array_equal(dx.asnumpy(), want_dx)
    np.testing.assert_array_equal(dy.asnumpy(), want_dy)


def test_tanh_values_match_mindspore_approximation():
    # MindSpore 2.10.0 CPU: ops.tanh at these points (note 1.0000097 at 5 and exactly 1.0 from 5.001 on)
    x = _f32([0.5, 3.0, 4.0, 5.0, 5.001, 6.0, -5.0])
    want = [
        0.46211716532707214,
        0.9950556755065918,
        0.9993442296981812,
        1.0000097751617432,
        1.0,
        1.0,
        -1.0000097751617432,
    ]
    np.testing.assert_allclose(ops.tanh(x).asnumpy(), want, rtol=3e-7)


# Pow's gradient with respect to the exponent, recorded from MindSpore 2.10.0: bases POW_X times exponents
# POW_Y (row-major grid), dout = 1, 2, ... . The rule: out * log(x) * dout, but 0 where x == 0 and y >= 0;
# NaN for negative bases (even with y == 0), and +-inf for 0 ** negative (inf * log(0) = -inf; -0.0 ** -1 =
# -inf gives +inf).
POW_X = [-2.0, -0.5, 0.0, -0.0, 0.5, 2.0]
POW_Y = [-1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0]
_NAN, _INF = float("nan"), float("inf")
MS_POW_DEXPONENT = [_NAN] * 14 + [-_INF, -_INF, 0.0, 0.0, 0.0, 0.0, 0.0, _INF, -_INF, 0.0, 0.0, 0.0, 0.0, 0.0] + [
    -40.2025260925293, -29.40773582458496, -21.48755645751953, -15.684125900268555, -11.436925888061523,
    -5.891749382019043, -3.032518148422241, 12.476646423339844, 18.1347713470459, 26.33958625793457,
    38.23005676269531, 55.451759338378906, 113.67613983154297, 232.8974609375]


def test_pow_exponent_gradient_matches_mindspore():
    base = np.repeat(np.array(POW_X, np.float32), len(POW_Y))
    expo = np.tile(np.array(POW_Y, np.float32), len(POW_X))
    dout = _f32(np.arange(1, base.size + 1))
    dy = ops.grad(lambda a, b: (ops.pow(a, b) * dout).sum(), grad_position=1)(_f32(base), _f32(expo))
    np.testing.assert_allclose(dy.asnumpy(), MS_POW_DEXPONENT, rtol=1e-6, atol=0)


def test_pow_scalar_zero_base_exponent_gradient_matches_mindspore():
    # MindSpore 2.10.0: grad of sum(ops.pow(0.0, y) * dout) at y = POW_Y
    g = ops.grad(lambda y: (ops.pow(0.0, y) * _f32(np.arange(1, 8))).sum())(_f32(POW_Y))
    np.testing.assert_array_equal(g.asnumpy(), [-_INF, -_INF, 0.0, 0.0, 0.0, 0.0, 0.0])


# Tensor.max / Tensor.min with ties, recorded from MindSpore 2.10.0 (dout = 1, 2, ... over the output).
# With one int axis they are ArgMaxWithValue / ArgMinWithValue: the whole gradient goes to the FIRST tied
# extreme; with no axis or a tuple of axes they are ReduceMax / ReduceMin, which split it among the ties.
TIES = [[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 5.0, 0.0], [-1.0, -1.0, -2.0, -2.0]]
_THIRD = 0.3333333432674408
MS_TENSOR_EXTREME = {
    "max(axis=1)": (lambda t: t.max(axis=1), [3.0, 5.0, -1.0],
                    [[0.0, 1.0, 0.0, 0.0], [2.0, 0.0, 0.0, 0.0], [3.0, 0.0, 0.0, 0.0]]),
    "max(axis=-1, keepdims=True)": (lambda t: t.max(axis=-1, keepdims=True), [[3.0], [5.0], [-1.0]],
                                    [[0.0, 1.0, 0.0, 0.0], [2.0, 0.0, 0.0, 0.0], [3.0, 0.0, 0.0, 0.0]]),
    "max(axis=0)": (lambda t: t.max(axis=0), [5.0, 5.0, 5.0, 2.0],
                    [[0.0, 0.0, 0.0, 4.0], [1.0, 2.0, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0]]),
    "min(axis=1)": (lambda t: t.min(axis=1), [1.0, 0.0, -2.0],
                    [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 2.0], [0.0, 0.0, 3.0, 0.0]]),
    "max()": (lambda t: t.max(), 5.0, [[0.0] * 4, [_THIRD, _THIRD, _THIRD, 0.0], [0.0] * 4]),
    "max(axis=(0, 1))": (lambda t: t.max(axis=(0, 1)), 5.0, [[0.0] * 4, [_THIRD, _THIRD, _THIRD, 0.0], [0.0] * 4]),
    "min()": (lambda t: t.min(), -2.0, [[0.0] * 4, [0.0] * 4, [0.0, 0.0, 0.5, 0.5]]),
}


@pytest.mark.parametrize("name", list(MS_TENSOR_EXTREME))
def test_tensor_max_min_ties_match_mindspore(name):
    fn, want_out, want_grad = MS_TENSOR_EXTREME[name]
    out = fn(_f32(TIES))
    np.testing.assert_array_equal(out.asnumpy(), want_out)
    dout = _f32(np.arange(1, out.size + 1).reshape(out.shape))
    g = ops.grad(lambda t: (fn(t) * dout).sum())(_f32(TIES))
    np.testing.assert_allclose(g.asnumpy(), want_grad, rtol=1e-6, atol=0)
