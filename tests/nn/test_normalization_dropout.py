"""nn.BatchNorm1d/2d and nn.Dropout against numpy, the array ops' functional forms, and clean
errors for out-of-range indices."""

import numpy as np
import pytest

import minispore as ms
from minispore import Parameter, Tensor, nn, ops
from minispore.nn.initializer import set_seed

R = np.random.default_rng(11)


def _bn_numpy(x, gamma, beta, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=axes)
    var = x64.var(axis=axes)
    y = (x64 - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * gamma.reshape(shape) + beta.reshape(shape)
    return y, mean, var


def _set_affine(bn, c):
    gamma = (R.random(c) + 0.5).astype(np.float32)
    beta = R.standard_normal(c).astype(np.float32)
    bn.gamma.set_data(gamma)
    bn.beta.set_data(beta)
    return gamma, beta


# ---- BatchNorm ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm2d, (4, 3, 5, 5)), (nn.BatchNorm1d, (8, 3)),
                                       (nn.BatchNorm1d, (4, 3, 6))])
def test_batchnorm_training_normalises_and_updates_moving_statistics(cls, shape):
    bn = cls(3)
    gamma, beta = _set_affine(bn, 3)
    bn.set_train()
    x = (R.standard_normal(shape) * 3 + 2).astype(np.float32)
    y = bn(Tensor(x)).asnumpy()
    want, mean, var = _bn_numpy(x, gamma, beta)
    np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-5)
    # momentum=0.9 keeps 90% of the old value; y uses the biased batch variance, moving_variance gets the
    # unbiased one (M / (M - 1) times it, as MindSpore 2.10's CPU kernel).
    m = x.size // 3
    unbiased = var * m / (m - 1)
    np.testing.assert_allclose(bn.moving_mean.asnumpy(), 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.asnumpy(), 0.9 + 0.1 * unbiased, rtol=1e-5)
    bn(Tensor(x))  # a second step applies the update again
    np.testing.assert_allclose(bn.moving_mean.asnumpy(), 0.19 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.asnumpy(), 0.81 + 0.19 * unbiased, rtol=1e-5)


def test_batchnorm_eval_uses_moving_statistics_and_leaves_them_alone():
    bn = nn.BatchNorm2d(2, eps=1e-3)
    gamma, beta = _set_affine(bn, 2)
    mm = np.array([0.5, -1.0], np.float32)
    mv = np.array([2.0, 0.25], np.float32)
    bn.moving_mean.set_data(mm)
    bn.moving_variance.set_data(mv)
    bn.set_train(False)
    x = R.standard_normal((3, 2, 4, 4)).astype(np.float32)
    y = bn(Tensor(x)).asnumpy()
    s = (1, 2, 1, 1)
    want = (x - mm.reshape(s)) / np.sqrt(mv.reshape(s) + 1e-3) * gamma.reshape(s) + beta.reshape(s)
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(bn.moving_mean.asnumpy(), mm)
    np.testing.assert_array_equal(bn.moving_variance.asnumpy(), mv)


def test_use_batch_statistics_overrides_the_mode():
    bn = nn.BatchNorm1d(3, use_batch_statistics=True)
    x = R.standard_normal((6, 3)).astype(np.float32)
    y = bn(Tensor(x)).asnumpy()  # eval mode, but batch statistics are forced
    np.testing.assert_allclose(y, _bn_numpy(x, np.ones(3), np.zeros(3))[0], rtol=1e-4, atol=1e-5)
    assert not np.allclose(bn.moving_mean.asnumpy(), 0)


def test_batchnorm_gradients_match_the_closed_form():
    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.bn = nn.BatchNorm2d(3)

        def construct(self, x, w):
            return (self.bn(x) * w).sum()

    net = Net()
    gamma, beta = _set_affine(net.bn, 3)
    net.set_train()
    x = R.standard_normal((2, 3, 3, 3)).astype(np.float32)
    w = R.standard_normal(x.shape).astype(np.float32)
    weights = [net.bn.gamma, net.bn.beta]
    dx, (dgamma, dbeta) = ms.grad(net, grad_position=0, weights=weights)(Tensor(x), Tensor(w))
    _, mean, var = _bn_numpy(x, gamma, beta)
    s = (1, 3, 1, 1)
    axes = (0, 2, 3)
    rstd = 1 / np.sqrt(var + 1e-5)
    xhat = (x - mean.reshape(s)) * rstd.reshape(s)
    dy = w.astype(np.float64)
    want_dx = gamma.reshape(s) * rstd.reshape(s) * (
        dy - dy.mean(axis=axes, keepdims=True) - xhat * (dy * xhat).mean(axis=axes, keepdims=True))
    np.testing.assert_allclose(dx.asnumpy(), want_dx, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dgamma.asnumpy(), (dy * xhat).sum(axis=axes), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dbeta.asnumpy(), dy.sum(axis=axes), rtol=1e-5, atol=1e-5)
    # The compiled gradient step also ran the forward's moving-statistics update, once.
    np.testing.assert_allclose(net.bn.moving_mean.asnumpy(), 0.1 * mean, rtol=1e-5, atol=1e-6)


def test_shared_batchnorm_called_twice_in_one_graph_updates_twice():
    class Twice(nn.Cell):
        def __init__(self):
            super().__init__()
            self.bn = nn.BatchNorm1d(2)

        def construct(self, a, b):
            return self.bn(a) + self.bn(b)

    net = Twice().set_train()
    a = R.standard_normal((5, 2)).astype(np.float32)
    b = (R.standard_normal((5, 2)) + 3).astype(np.float32)
    net(Tensor(a), Tensor(b))
    want = 0.9 * (0.1 * a.mean(0)) + 0.1 * b.mean(0)
    np.testing.assert_allclose(net.bn.moving_mean.asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_functional_batch_norm_and_primitive():
    x = R.standard_normal((4, 3)).astype(np.float32)
    rm = Parameter(Tensor(np.zeros(3, np.float32)), name="rm", requires_grad=False)
    rv = Parameter(Tensor(np.ones(3, np.float32)), name="rv", requires_grad=False)
    w, b = Tensor(np.ones(3, np.float32)), Tensor(np.zeros(3, np.float32))
    y = ops.batch_norm(Tensor(x), rm, rv, w, b, training=True, momentum=0.2)
    np.testing.assert_allclose(y.asnumpy(), _bn_numpy(x, np.ones(3), np.zeros(3))[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(rm.asnumpy(), 0.2 * x.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv.asnumpy(), 0.8 + 0.2 * x.var(0, ddof=1), rtol=1e-5)
    out = ops.BatchNorm(is_training=False)(Tensor(x), w, b, rm, rv)
    assert len(out) == 5 and out[0].shape == (4, 3)
    with pytest.raises(TypeError, match="must be a Parameter"):
        ops.batch_norm(Tensor(x), Tensor(np.zeros(3, np.float32)), rv, w, b, training=True)


def test_batchnorm_parameter_order_and_requires_grad():
    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.bn = nn.BatchNorm2d(4)

        def construct(self, x):
            return self.bn(x)

    net = Net()
    assert [p.name for p in net.get_parameters()] == ["bn.moving_mean", "bn.moving_variance", "bn.gamma", "bn.beta"]
    assert [p.name for p in net.trainable_params()] == ["bn.gamma", "bn.beta"]
    assert [p.name for p in net.untrainable_params()] == ["bn.moving_mean", "bn.moving_variance"]
    frozen = nn.BatchNorm1d(2, affine=False)
    assert not frozen.gamma.requires_grad and not frozen.beta.requires_grad
    np.testing.assert_array_equal(net.bn.moving_variance.asnumpy(), np.ones(4))


def test_batchnorm_argument_validation():
    with pytest.raises(ValueError, match="num_features"):
        nn.BatchNorm2d(0)
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm2d(3, momentum=1.5)
    with pytest.raises(ValueError, match="4 dimensions"):
        nn.BatchNorm2d(3)(Tensor(np.zeros((2, 3), np.float32)))
    with pytest.raises(ValueError, match="running_mean. must be a Tensor of shape \\[4\\]"):
        ops.batch_norm(Tensor(np.zeros((2, 4), np.float32)), Tensor(np.zeros(3, np.float32)),
                       Tensor(np.ones(3, np.float32)), None, None)


# ---- Dropout -----------------------------------------------------------------------------

def test_dropout_keeps_one_minus_p_and_scales():
    drop = nn.Dropout(p=0.3).set_train()
    y = drop(Tensor(np.ones((200, 500), np.float32))).asnumpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    y2 = drop(Tensor(np.ones((200, 500), np.float32))).asnumpy()
    assert (y2 != y).any(), "each step must draw a new mask"


def test_dropout_is_identity_in_eval_and_for_p0():
    x = R.standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_array_equal(nn.Dropout(p=0.5)(Tensor(x)).asnumpy(), x)
    np.testing.assert_array_equal(nn.Dropout(p=0.0).set_train()(Tensor(x)).asnumpy(), x)
    np.testing.assert_array_equal(ops.dropout(Tensor(x), p=0.9, training=False).asnumpy(), x)


def test_dropout_is_reproducible_after_set_seed():
    def run():
        set_seed(7)
        drop = nn.Dropout(p=0.5).set_train()
        x = Tensor(np.ones((10, 10), np.float32))
        return [drop(x).asnumpy() for _ in range(3)]

    first, second = run(), run()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])


def test_dropout_gradient_uses_the_forward_mask():
    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(p=0.4)

        def construct(self, x):
            return self.drop(x)

    net = Net().set_train()
    x = (R.random((6, 7)) + 1).astype(np.float32)
    y, dx = ms.value_and_grad(net, grad_position=0)(Tensor(x))  # one step: forward and backward
    mask = y.asnumpy() / x
    np.testing.assert_allclose(dx.asnumpy(), mask, rtol=1e-6)
    assert np.all((mask == 0) | np.isclose(mask, 1 / 0.6, rtol=1e-6))
    assert 0 < (mask == 0).sum() < mask.size


def test_shared_dropout_called_twice_draws_two_masks():
    class Twice(nn.Cell):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(p=0.5)

        def construct(self, x):
            return self.drop(x), self.drop(x)

    a, b = Twice().set_train()(Tensor(np.ones((20, 20), np.float32)))
    assert not np.array_equal(a.asnumpy(), b.asnumpy())


def test_dropout_primitive_returns_output_and_mask():
    x = (R.random((30, 30)) + 1).astype(np.float32)
    out, mask = ops.Dropout(keep_prob=0.8)(Tensor(x))
    m = mask.asnumpy()
    assert set(np.unique(m)) <= {0.0, 1.0}
    np.testing.assert_allclose(out.asnumpy(), x * m / np.float32(0.8), rtol=1e-6)


def test_dropout_argument_validation():
    with pytest.raises(ValueError, match="range \\[0, 1\\)"):
        nn.Dropout(p=1.0)
    with pytest.raises(ValueError, match="range \\(0, 1\\]"):
        nn.Dropout(keep_prob=0.0)
    with pytest.raises(TypeError, match="keep_prob"):
        nn.Dropout(keep_prob=1)
    with pytest.raises(ValueError, match="range \\[0, 1\\)"):
        ops.dropout(Tensor(np.ones(3, np.float32)), p=-0.1)
    assert nn.Dropout(keep_prob=0.9).p == pytest.approx(0.1)
    assert repr(nn.Dropout(p=0.5)) == "Dropout(p=0.5)"  # MindSpore 2.x's layout


# ---- array ops: functional forms and index errors -------------------------------------------

class _Fn(nn.Cell):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def construct(self, *xs):
        return self.fn(*xs)


def test_out_of_range_gather_index_raises_cleanly():
    params = Tensor(np.arange(12, dtype=np.float32).reshape(4, 3))
    gather = _Fn(lambda p, i: ops.gather(p, i, 0))
    np.testing.assert_array_equal(gather(params, Tensor(np.array([-4, 3], np.int32))).asnumpy(),
                                  np.arange(12, dtype=np.float32).reshape(4, 3)[[0, 3]])
    for bad in ([0, 4], [-5], [1 << 30]):
        with pytest.raises(ValueError, match="out of range"):
            gather(params, Tensor(np.array(bad, np.int32)))
        with pytest.raises(ValueError, match="out of range"):
            ops.gather(params, Tensor(np.array(bad, np.int32)), 0)  # eager
    grad = ms.grad(lambda p, i: (ops.gather(p, i, 1) * 2.0).sum())
    with pytest.raises(ValueError, match="out of range"):
        grad(params, Tensor(np.array([7], np.int64)))


def test_out_of_range_one_hot_index_gives_an_off_row():
    # MindSpore's CPU kernel: an index outside [0, depth) matches nothing (no error, no memory access).
    one_hot = _Fn(lambda i: ops.one_hot(i, 3, Tensor(1.0), Tensor(0.0)))
    out = one_hot(Tensor(np.array([1, 3, -1, 1 << 40], np.int64))).asnumpy()
    np.testing.assert_array_equal(out, [[0, 1, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]])


def test_concat_split_slice_stack_tile_and_their_gradients():
    a = R.standard_normal((2, 3)).astype(np.float32)
    b = R.standard_normal((2, 1)).astype(np.float32)
    c = R.standard_normal((2, 2)).astype(np.float32)
    cat = _Fn(lambda x, y, z: ops.concat((x, y, z), axis=-1))
    np.testing.assert_array_equal(cat(Tensor(a), Tensor(b), Tensor(c)).asnumpy(), np.concatenate([a, b, c], 1))
    np.testing.assert_array_equal(ops.Concat(1)((Tensor(a), Tensor(b))).asnumpy(), np.concatenate([a, b], 1))
    w = R.standard_normal((2, 6)).astype(np.float32)
    grads = ms.grad(lambda x, y, z: (ops.concat([x, y, z], 1) * Tensor(w)).sum(), grad_position=(0, 1, 2))(
        Tensor(a), Tensor(b), Tensor(c))
    for g, want in zip(grads, np.split(w, [3, 4], axis=1)):
        np.testing.assert_array_equal(g.asnumpy(), want)
    x = R.standard_normal((4, 6)).astype(np.float32)
    parts = _Fn(lambda t: ops.split(t, 4, axis=1))(Tensor(x))
    assert [p.shape for p in parts] == [(4, 4), (4, 2)]
    parts = _Fn(lambda t: ops.Split(axis=0, output_num=2)(t))(Tensor(x))
    np.testing.assert_array_equal(parts[1].asnumpy(), x[2:])
    np.testing.assert_array_equal(ops.slice(Tensor(x), (1, 2), (2, -1)).asnumpy(), x[1:3, 2:])
    np.testing.assert_array_equal(ops.stack([Tensor(a), Tensor(a)], axis=1).asnumpy(), np.stack([a, a], 1))
    np.testing.assert_array_equal(_Fn(lambda t: ops.tile(t, (2, 1, 3)))(Tensor(a)).asnumpy(), np.tile(a, (2, 1, 3)))
    g = ms.grad(lambda t: ops.tile(t, (2, 3)).sum())(Tensor(a))
    np.testing.assert_array_equal(g.asnumpy(), np.full(a.shape, 6.0, np.float32))
    with pytest.raises(ValueError, match="add up"):
        ops.split(Tensor(x), [1, 2], axis=0)
    with pytest.raises(ValueError, match="out of range"):
        ops.slice(Tensor(x), (3, 0), (2, 6))


def test_gather_gradient_accumulates_repeated_indices():
    p = R.standard_normal((4, 3)).astype(np.float32)
    idx = np.array([1, 1, -1, 1], np.int32)
    g = ms.grad(lambda t: ops.gather(t, Tensor(idx), 0).sum())(Tensor(p)).asnumpy()
    np.testing.assert_array_equal(g, np.array([[0] * 3, [3] * 3, [0] * 3, [1] * 3], np.float32))


def test_argmax_argmin_forms_and_dtypes():
    x = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]], np.float32)
    t = Tensor(x)
    out = _Fn(lambda v: ops.argmax(v, dim=1, keepdim=True))(t)
    assert out.dtype == ms.int64 and out.shape == (2, 1)
    np.testing.assert_array_equal(out.asnumpy(), [[1], [0]])
    assert int(ops.argmax(t)) == 3 and ops.argmax(t).dtype == ms.int64
    prim = ops.Argmax(axis=0)(t)
    assert prim.dtype == ms.int32
    np.testing.assert_array_equal(prim.asnumpy(), [1, 0, 1])
    assert ops.Argmax(output_type=ms.int64)(t).dtype == ms.int64
    np.testing.assert_array_equal(ops.argmin(t, axis=1).asnumpy(), [0, 1])
    assert ops.argmin(t).dtype == ms.int32
    np.testing.assert_array_equal(t.argmax(1).asnumpy(), [1, 0])
    np.testing.assert_array_equal(_Fn(lambda v: v.argmax(0))(t).asnumpy(), [1, 0, 1])


def test_train_one_step_updates_moving_statistics_and_weights():
    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.fc = nn.Dense(4, 3)
            self.bn = nn.BatchNorm1d(3)
            self.drop = nn.Dropout(p=0.5)

        def construct(self, x):
            return self.drop(self.bn(self.fc(x)))

    net = Net()
    x = R.standard_normal((16, 4)).astype(np.float32)
    y = R.standard_normal((16, 3)).astype(np.float32)
    h = x @ net.fc.weight.asnumpy().T + net.fc.bias.asnumpy()
    gamma0 = net.bn.gamma.asnumpy()
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.SGD(net.trainable_params(), 0.1))
    step.set_train()
    loss = step(Tensor(x), Tensor(y))
    assert np.isfinite(loss.asnumpy()).all()
    np.testing.assert_allclose(net.bn.moving_mean.asnumpy(), 0.1 * h.mean(0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(net.bn.moving_variance.asnumpy(), 0.9 + 0.1 * h.var(0, ddof=1), rtol=1e-4)  # unbiased
    assert not np.array_equal(net.bn.gamma.asnumpy(), gamma0)
    assert [p.name for p in net.trainable_params()] == ["fc.weight", "fc.bias", "bn.gamma", "bn.beta"]
    assert [p.name for p in net.untrainable_params()] == ["bn.moving_mean", "bn.moving_variance",
                                                          "drop.dropout_counter"]
    assert int(net.drop.dropout_counter.asnumpy()) == 1  # one mask drawn
