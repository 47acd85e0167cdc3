"""float16 networks trained on the CPU target: a float16 MLP with Momentum agrees with the reference
executor, fused and unfused plans are bit-identical, Cast converts between every dtype compiled,
AdaFactor(compression=True) keeps float16 second moments, and bfloat16 (ml_dtypes) compiles too."""

import numpy as np
import pytest

import minispore as ms
from minispore import Parameter, Tensor, nn

UNFUSED = ("fuse_elementwise", "multi_tensor")


@pytest.fixture(autouse=True)
def _restore_context():
    yield
    ms.set_context(executor="compiled", device_target="CPU", disabled_passes=())


def _mlp():
    return nn.SequentialCell([nn.Dense(8, 16, dtype=ms.float16), nn.ReLU(), nn.Dense(16, 16, dtype=ms.float16),
                              nn.Sigmoid(), nn.Dense(16, 4, dtype=ms.float16)]), (32, 8)


def _cnn():
    f16 = ms.float16
    layers = [nn.Conv2d(1, 4, 3, pad_mode="valid", dtype=f16), nn.BatchNorm2d(4, dtype=f16), nn.ReLU(),
              nn.MaxPool2d(2, 2), nn.Flatten(), nn.Dropout(p=0.2), nn.Dense(36, 4, dtype=f16)]
    return nn.SequentialCell(layers), (8, 1, 8, 8)


def _train(make=_mlp, steps=5, **context):
    ms.set_context(**context)
    ms.set_seed(1)
    net, x_shape = make()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.1, momentum=0.9)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal(x_shape).astype(np.float16))
    y = Tensor(rng.integers(0, 4, x_shape[0]).astype(np.int32))
    losses = [step(x, y).asnumpy() for _ in range(steps)]
    params = [p.asnumpy().copy() for p in net.get_parameters()]
    ms.set_context(executor="compiled", disabled_passes=())
    return losses, params


@pytest.mark.parametrize("make", [_mlp, _cnn], ids=["mlp", "conv-batchnorm-maxpool-dropout"])
def test_float16_network_trains_like_the_reference_executor(make):
    losses, params = _train(make)
    assert all(p.dtype == np.float16 for p in params if p.dtype.kind == "f")
    assert all(v.dtype == np.float16 for v in losses)
    assert losses[-1] < losses[0]
    ref_losses, ref_params = _train(make, executor="reference")
    np.testing.assert_allclose(np.array(losses, np.float32), np.array(ref_losses, np.float32), rtol=4e-3)
    for got, want in zip(params, ref_params):
        np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float32), rtol=1e-2, atol=2e-3)


@pytest.mark.parametrize("make", [_mlp, _cnn], ids=["mlp", "conv-batchnorm-maxpool-dropout"])
def test_fused_and_unfused_float16_plans_are_bit_identical(make):
    fused = _train(make)
    unfused = _train(make, disabled_passes=UNFUSED)
    for got, want in zip(fused[0] + fused[1], unfused[0] + unfused[1]):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got.reshape(-1).view(np.uint8), want.reshape(-1).view(np.uint8))


def test_float16_plan_holds_halves_as_uint16():
    ms.set_seed(1)
    net = nn.Dense(4, 3, dtype=ms.float16)
    x = Tensor(np.ones((2, 4), np.float16))
    out = net(x)
    assert out.dtype == ms.float16
    compiled = list(net._compile_cache.entries.values())[-1]
    source = compiled.plan.source
    assert "X[0].view(np.uint16)" in source and "h2f(" in source
    assert "float16" not in {str(b.dtype) for b in compiled.plan._buffers}
    np.testing.assert_allclose(out.asnumpy().astype(np.float32),
                               x.asnumpy().astype(np.float32) @ net.weight.asnumpy().astype(np.float32).T
                               + net.bias.asnumpy().astype(np.float32), rtol=2e-3, atol=2e-3)


# ---- Cast between every dtype, compiled ----------------------------------------------------------

_VALUES = np.array([0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 3.7, -1e-3, 65504.0, 70000.0, -1e5, 1e-8, 255.0, 1.0 / 3.0],
                   np.float64)
_DTYPES = [np.float16, np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_]


def _cast(x, dtype):
    class Net(nn.Cell):
        def construct(self, a):
            return ms.ops.cast(a * 1, dtype)  # (a computation first, so the Cast runs in a kernel)

    return Net()(Tensor(x)).asnumpy()


def _source_values(src):
    v = _VALUES
    if np.dtype(src).kind in "iu":
        v = np.clip(np.trunc(v), 0 if np.dtype(src).kind == "u" else -1e5, 255)
    if src is np.bool_:
        v = v != 0
    with np.errstate(all="ignore"):
        return v.astype(src)


_PAIRS = [(s, d) for s in _DTYPES for d in _DTYPES if s != d]


@pytest.mark.parametrize("src,dst", _PAIRS, ids=[f"{np.dtype(s).name}-{np.dtype(d).name}" for s, d in _PAIRS])
def test_cast_compiled_matches_numpy(src, dst):
    x = _source_values(src)
    if np.dtype(dst).kind in "iu" and np.dtype(src).kind == "f":
        x = x[np.abs(x.astype(np.float64)) < 200]  # (float -> int of an out-of-range value is undefined)
        if np.dtype(dst).kind == "u":
            x = x[x >= 0]
    got = _cast(x, dst)
    with np.errstate(all="ignore"):
        want = x.astype(dst)
    assert got.dtype == want.dtype
    if want.dtype.kind == "f":
        bits = {2: np.uint16, 4: np.uint32, 8: np.uint64}[want.dtype.itemsize]
        np.testing.assert_array_equal(got.view(bits), want.view(bits))
    else:
        np.testing.assert_array_equal(got, want)


def test_bfloat16_casts_and_arithmetic_compile():
    bfloat16_np = np.dtype(pytest.importorskip("ml_dtypes").bfloat16)  # (minispore.dtype.bfloat16 needs it imported)
    x = np.array([1.0, -2.5, 3.14159, 1e-3, 70000.0, -0.0], np.float32)

    class Net(nn.Cell):
        def construct(self, a, b):
            h = ms.ops.cast(a, ms.dtype.bfloat16)
            s = h * h + b  # computed in float32 and rounded to bfloat16, as ml_dtypes' ufuncs
            return ms.ops.cast(s, ms.float32), s

    b = x[::-1].astype(bfloat16_np)
    out32, out16 = Net()(Tensor(x), Tensor(b))
    h = x.astype(bfloat16_np)
    want = h * h + b
    assert out16.dtype == ms.dtype.bfloat16
    np.testing.assert_array_equal(out16.asnumpy().view(np.uint16), want.view(np.uint16))
    np.testing.assert_array_equal(out32.asnumpy(), want.astype(np.float32))


# ---- AdaFactor(compression=True) ---------------------------------------------------------------

def _adafactor_compressed_ref(values, grads, beta1=0.9, eps=(1e-30, 1e-3), decay_rate=0.8):
    """MindSpore's compression path for 1-D parameters: V stored in float16 and used as stored
    (U = f16(1 / f16(sqrt(V16))) * g), the first moment read through float16; relative step and
    parameter scaling as by default."""
    f16 = np.float16
    p = {k: v.astype(np.float32) for k, v in values.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    sq = {k: np.zeros(v.shape, f16) for k, v in p.items()}
    for t, g in enumerate(grads, 1):
        beta2t = np.float32(1.0 - t ** (-decay_rate))
        for k, w in p.items():
            lr = np.float32(min(1e-2, 1.0 / np.sqrt(t)) * max(eps[1], np.sqrt(np.mean(w * w))))
            u = g[k] * g[k] + np.float32(eps[0])
            sq[k] = (sq[k].astype(np.float32) * beta2t + u * (np.float32(1) - beta2t)).astype(f16)
            u = (np.float32(1) / np.sqrt(sq[k].astype(np.float32))).astype(f16).astype(f16)
            u = u.astype(np.float32) * g[k]
            u = u / max(np.sqrt(np.mean(u * u)) / 1.0, 1.0) * lr
            m[k] = m[k].astype(f16).astype(np.float32) * np.float32(beta1) + u * np.float32(1 - beta1)
            p[k] = w - m[k]
    return p, sq


def test_adafactor_compression_keeps_float16_second_moments():
    rng = np.random.default_rng(5)
    values = {"bias": rng.standard_normal(6).astype(np.float32), "gamma": rng.standard_normal(4).astype(np.float32),
              "weight": rng.standard_normal((3, 4)).astype(np.float32)}
    grads = [{k: rng.standard_normal(v.shape).astype(np.float32) for k, v in values.items()} for _ in range(3)]
    params = [Parameter(Tensor(v.copy()), name=k) for k, v in values.items()]
    opt = nn.AdaFactor(params, compression=True)
    assert [s.dtype for s in opt.exp_avg_sq] == [ms.float16] * 3
    for g in grads:
        opt(tuple(Tensor(g[p.name]) for p in params))
    want, sq = _adafactor_compressed_ref({k: v for k, v in values.items() if v.ndim == 1}, grads)
    for i, p in enumerate(params):
        if p.name in want:
            np.testing.assert_allclose(p.asnumpy(), want[p.name], rtol=1e-5, atol=1e-6, err_msg=p.name)
            np.testing.assert_array_equal(opt.exp_avg_sq[i].asnumpy(), sq[p.name])
    assert np.all(np.isfinite(params[2].asnumpy())) and not np.array_equal(params[2].asnumpy(), values["weight"])
