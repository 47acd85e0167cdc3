"""Op test cases for MatMulEpilogue (ops/matmul_epilogue.py; made only by the CPU's epilogue-fusion pass): each
epilogue with each transpose flag, products that are exactly 0 after the bias (ReLU's kink: 0, never -0.0 or the
input) and a mask with exact zeros (ReluGrad's rule: the gradient at y == 0 is 0). Not differentiable (fd=False)."""

import numpy as np

R = np.random.default_rng(15)


def f(*shape):
    return R.standard_normal(shape).astype(np.float32)


def _case(a, b, c, epilogue, ta=False, tb=False):
    return dict(inputs=[a, b, c], attrs=dict(transpose_a=ta, transpose_b=tb, epilogue=epilogue), fd=False)


_EYE = np.eye(3, dtype=np.float32)
_KINK_BIAS = np.array([-1.0, 2.0, -3.0], np.float32)  # eye @ diag + bias: exact zeros on the diagonal
_MASK = np.array([[0.0, 1.0, -2.0], [3.0, 0.0, 0.5], [-0.0, 2.0, 0.0]], np.float32)

CASES = {
    "MatMulEpilogue": [
        _case(f(4, 5), f(3, 5), f(3), "bias_relu", tb=True),
        _case(f(5, 4), f(5, 3), f(3), "bias_relu", ta=True),
        _case(f(4, 5), f(5, 3), f(3), "bias"),
        _case(f(5, 4), f(3, 5), f(3), "bias", ta=True, tb=True),
        _case(_EYE, np.diag([1.0, -2.0, 3.0]).astype(np.float32), _KINK_BIAS, "bias_relu"),
        _case(f(3, 4), f(4, 3), _MASK, "relu_grad"),
        _case(f(6, 3), f(4, 6), f(3, 4), "relu_grad", ta=True, tb=True),
    ],
}
