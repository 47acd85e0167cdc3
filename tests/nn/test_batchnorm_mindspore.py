"""BatchNorm's moving statistics in training mode, against values recorded from MindSpore 2.10.0 (CPU
wheel from PyPI in a separate venv, PyNative mode) on 2026-12-06; MindSpore is not needed to run them.

MindSpore's rule seen there: moving = momentum * moving + (1 - momentum) * batch for nn.BatchNorm1d/2d
(``ops.batch_norm``: moving = (1 - momentum) * moving + momentum * batch), where the batch variance
folded into moving_variance is the UNBIASED one (M / (M - 1) times the variance y is normalised with,
M = N * H * W), and NaN for a batch of one element per channel."""

import numpy as np
import pytest

from minispore import Parameter, Tensor, nn, ops

X4 = (
    np.array(
        [
            [[[114, 28], [6, -119]], [[-18, -23], [-5, -40]], [[-3, -31], [-84, 57]]],
            [[[56, 109], [3, -26]], [[-35, -99], [63, -70]], [[-76, -13], [95, 15]]],
            [[[-66, -46], [40, -10]], [[-49, -15], [48, 126]], [[-80, -40], [-51, -155]]],
            [[[-59, -66], [72, -8]], [[-104, 41], [-23, -112]], [[-38, -38], [-56, 2]]],
        ],
        np.float32,
    )
    / 64
)  # (4, 3, 2, 2)
X3 = (
    np.array(
        [
            [[114, -43, 10, 10], [-68, 28, 124, -66], [58, -10, 113, 31]],
            [[43, 41, 16, -89], [89, -88, 15, 39], [-54, 9, 75, -2]],
        ],
        np.float32,
    )
    / 64
)  # (2, 3, 4)

# after step 1 (input x) and step 2 (input 2 * x), from MindSpore 2.10.0
CASES = {
    "bn2d_m09": (
        nn.BatchNorm2d,
        X4,
        {},
        [
            [0.0027343749534338713, -0.03076171875, -0.04843750223517418],
            [0.007929687388241291, -0.08920898288488388, -0.1404687464237213],
        ],
        [
            [1.0056103467941284, 1.0018024444580078, 0.9842252731323242],
            [1.3274906873703003, 1.3088321685791016, 1.2227038145065308],
        ],
    ),
    "bn2d_m05": (
        nn.BatchNorm2d,
        X4,
        {"momentum": 0.5},
        [[0.013671875, -0.15380859375, -0.2421875], [0.0341796875, -0.384521484375, -0.60546875]],
        [
            [1.0280518531799316, 1.0090124607086182, 0.9211263656616211],
            [2.6262331008911133, 2.540555953979492, 2.145068645477295],
        ],
    ),
    "bn1d_3d_m07": (
        nn.BatchNorm1d,
        X3,
        {"momentum": 0.7},
        [
            [0.05976562574505806, 0.04277344048023224, 0.12890625],
            [0.16136719286441803, 0.11548829078674316, 0.3480468690395355],
        ],
        [
            [0.9663033485412598, 1.1382485628128052, 0.906856894493103],
            [1.7416259050369263, 2.5497682094573975, 1.4622273445129395],
        ],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_moving_statistics_match_mindspore(name):
    cls, x, kwargs, want_mean, want_var = CASES[name]
    bn = cls(3, **kwargs)
    bn.set_train()
    for step in range(2):
        bn(Tensor(x * (step + 1)))
        np.testing.assert_allclose(bn.moving_mean.asnumpy(), want_mean[step], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(bn.moving_variance.asnumpy(), want_var[step], rtol=1e-6)


def test_functional_batch_norm_folds_the_unbiased_variance():
    mean = Parameter(Tensor(np.zeros(3, np.float32)), name="m", requires_grad=False)
    var = Parameter(Tensor(np.ones(3, np.float32)), name="v", requires_grad=False)
    ops.batch_norm(Tensor(X4), mean, var, Tensor(np.ones(3, np.float32)), Tensor(np.zeros(3, np.float32)), True, 0.1)
    np.testing.assert_allclose(var.asnumpy(), [1.0056103467941284, 1.0018024444580078, 0.9842252731323242], rtol=1e-6)


def test_one_element_per_channel_gives_nan_moving_variance():
    bn = nn.BatchNorm1d(3)
    bn.set_train()
    y = bn(Tensor(np.array([[1.5, -2.0, 0.25]], np.float32)))
    np.testing.assert_array_equal(y.asnumpy(), [[0.0, 0.0, 0.0]])
    np.testing.assert_allclose(bn.moving_mean.asnumpy(), [0.15, -0.2, 0.025], rtol=1e-6)
    assert np.isnan(bn.moving_variance.asnumpy()).all()
