"""Gradients at the kink points and ties of piecewise ops, against values recorded from MindSpore 2.10.0
(CPU wheel from PyPI in a separate venv, PyNative mode, ``mindspore.vjp``) on 2026-12-06. MindSpore is not
needed to run these tests: the recorded numbers are the tables below.

MindSpore's rules seen there: ReluGrad is 0 at x == 0; ReLU6Grad passes dout at x == 6 and is 0 at x == 0;
Maximum/MinimumGrad split a tie in half between the inputs; LeakyReLU is Maximum(alpha * x, x) (Minimum
for alpha > 1), so its gradient at 0 is (1 + alpha) / 2 * dout; Abs' gradient at 0 is 0; ELU's at 0 is
dout; Softplus(beta, threshold) switches to x only where beta * x > threshold; Tanh is a rational
approximation that is exactly +-1 for |x| > 5 (gradient 0 there)."""

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
