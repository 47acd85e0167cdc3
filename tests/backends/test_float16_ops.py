"""Every op's test cases (tests/ops/cases_*.py) in float16, compiled for the CPU target.

Each case's float32 inputs are rounded to float16; the compiled CPU result must be float16 and
  * bit-identical to the op's numpy reference on the float16 inputs for elementwise ops whose
    reference is one numpy ufunc (numpy computes those in float32 and rounds, as the CPU does) and for
    kernels that only move or select elements (including MaxPool, ReduceMax and Argmax: comparing
    bit patterns would order negative halves backwards);
  * within one float16 rounding of the reference computed in float32 on the same (float16) inputs
    for everything else (MindSpore's float16 semantics: compute/accumulate in float32, round once).
The gradients of a few ops in float16 agree with float64 central differences within float16 accuracy.
The CPU passes that make this work are checked on their own: a float32 graph is left alone, arithmetic
kernels run in float32 between Casts, broadcasts are materialised, in-place 16-bit updates are refused.
"""

import glob
import importlib.util
import os

import numpy as np
import pytest

import minispore as ms
from minispore.backends.cpu.passes import DATA_MOVEMENT, compute_in_float32, materialise_broadcasts
from minispore.graph import executor_hook, trace
from minispore.graph.ir import Graph, Node
from minispore.graph.tensor import Tensor
from minispore.ops.registry import OPS, OpKind, apply

_OPS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "ops")


def _load_cases():
    cases = {}
    for path in sorted(glob.glob(os.path.join(_OPS_DIR, "cases_*.py"))):
        spec = importlib.util.spec_from_file_location(f"f16_cases_{os.path.basename(path)[6:-3]}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        cases.update(mod.CASES)
    return cases


# Ops that take no float16 in MindSpore's CPU kernels either (their infer refuses it) or are not
# single ops (the fused kinds are covered by the training tests); host ops print.
_SKIP = {"FusedSparseLazyAdam", "SparseApplyFtrl", "SparseApplyProximalAdagrad", "FusedElementwise",
         "MultiTensorFused", "Print", "Assign"}
# Elementwise ops whose numpy reference is a composition of ufuncs (each rounded to float16 by numpy):
# compared with the float32 computation instead. Ceil/Floor: the scalar bodies return math.ceil/floor's
# int, so -0.0 comes back +0.0 (also in float32): compared by value.
_COMPOSITE = {"GeLU", "GeLUGrad", "LeakyReLU", "Rsqrt", "Sigmoid", "SigmoidGrad", "Softplus", "TanhGrad", "Elu",
              "BatchNormInvStd", "ReLU6Grad", "Ceil", "Floor"}
# Kernels that select elements without arithmetic: exact on float16.
_SELECTING = DATA_MOVEMENT | {"MaxPool", "MaxPoolGrad", "MaxPoolGradGrad", "MaxPoolArgmax", "ReduceMax", "ReduceMin",
                              "Argmax", "Argmin", "BroadcastTo", "Reshape"}


def _half_cases():
    out = []
    for name, entries in sorted(_load_cases().items()):
        if name in _SKIP:
            continue
        for i, case in enumerate(entries):
            if any(x.dtype == np.float32 for x in case["inputs"]):
                out.append((name, i, case))
    return out


HALF_CASES = _half_cases()


def _run(name, inputs, attrs):
    cache = executor_hook.CompileCache()
    return executor_hook.run_compiled(cache, lambda *xs: apply(name, *xs, **attrs), [Tensor(x) for x in inputs],
                                      name).asnumpy()


def _bits_equal(got, want):
    bits = {2: np.uint16, 4: np.uint32, 8: np.uint64}[got.dtype.itemsize]
    want = want.astype(got.dtype)
    same = got.view(bits) == want.view(bits)
    return bool(np.all(same | (np.isnan(got) & np.isnan(want))))


@pytest.mark.parametrize("name,i,case", HALF_CASES, ids=[f"{n}-{i}" for n, i, _ in HALF_CASES])
def test_float16_op_matches_reference(name, i, case):
    attrs = case.get("attrs", {})
    with np.errstate(over="ignore"):
        x16 = [x.astype(np.float16) if x.dtype == np.float32 else x.copy() for x in case["inputs"]]
    got = _run(name, [x.copy() for x in x16], attrs)
    ref = OPS[name].reference
    with np.errstate(all="ignore"):
        want32 = np.asarray(ref(*[x.astype(np.float32) if x.dtype == np.float16 else x.copy() for x in x16],
                                **attrs))
        want16 = np.asarray(ref(*[x.copy() for x in x16], **attrs))
    assert got.shape == want32.shape
    if want32.dtype.kind != "f":  # (Argmax, comparisons: exact)
        np.testing.assert_array_equal(got, want32)
        return
    out_dtype = np.float16 if want32.dtype == np.float32 else want32.dtype  # (Cast: its own dtype)
    assert got.dtype == out_dtype, f"{name} gave {got.dtype}"
    elementwise = OPS[name].kind is OpKind.ELEMENTWISE
    if (elementwise and name not in _COMPOSITE) or name in _SELECTING:
        assert _bits_equal(got, want16), f"{name}: {got} != {want16}"
        return
    with np.errstate(all="ignore"):
        want = want32.astype(out_dtype).astype(np.float64)
    scale = float(np.max(np.abs(want[np.isfinite(want)]), initial=1.0))
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=2.0 ** -10, atol=2.0 ** -11 * scale)


def test_selecting_kernels_order_negative_halves():
    x = -np.abs(np.random.default_rng(3).standard_normal((2, 3, 4, 4))).astype(np.float16)
    x[0, 0, 0, 0] = -0.0
    assert _bits_equal(_run("ReduceMax", [x], dict(axis=(2, 3), keep_dims=False)), x.max(axis=(2, 3)))
    assert _bits_equal(_run("ReduceMin", [x], dict(axis=(1,), keep_dims=False)), x.min(axis=1))
    np.testing.assert_array_equal(_run("Argmax", [x.reshape(6, 16)], dict(axis=1, output_type=np.dtype(np.int32))),
                                  x.reshape(6, 16).argmax(axis=1))
    pool = dict(kernel_size=(2, 2), strides=(2, 2), pad=(0, 0, 0, 0), dilation=(1, 1), ceil_mode=False)
    pooled = _run("MaxPool", [x], pool)
    assert _bits_equal(pooled, x.reshape(2, 3, 2, 2, 2, 2).max(axis=(3, 5)))
    for op in ("MaxPool", "MaxPoolGrad", "ReduceMax", "ReduceMin", "Argmax", "Argmin", "GatherGrad",
               "StridedSliceGrad", "MatMul", "ReduceSum"):
        assert op not in DATA_MOVEMENT


def test_float16_kernels_accumulate_in_float32():
    """A long float16 reduction or dot product accumulates in float32 and rounds once (MindSpore's float16
    semantics); numpy's float16 sum along axis 0 accumulates in float16 (it stalls near 2048 here)."""
    rng = np.random.default_rng(4)
    x = rng.random((8192, 4)).astype(np.float16)
    got = _run("ReduceSum", [x], dict(axis=(0,), keep_dims=False))
    want = x.astype(np.float32).sum(axis=0)
    np.testing.assert_allclose(got.astype(np.float32), want, rtol=2.0 ** -11)
    assert np.abs(x.sum(axis=0).astype(np.float32) - want).min() > 100  # (the float16 accumulation)
    a, b = rng.standard_normal((16, 4096)).astype(np.float16), rng.standard_normal((4096, 8)).astype(np.float16)
    got = _run("MatMul", [a, b], dict(transpose_a=False, transpose_b=False))
    want = a.astype(np.float32) @ b.astype(np.float32)
    np.testing.assert_allclose(got.astype(np.float32), want, rtol=2.0 ** -10, atol=2.0 ** -10 * np.abs(want).max())


# ---- gradients in float16 against float64 finite differences ---------------------------------

R = np.random.default_rng(11)
GRAD_CASES = [
    ("Mul", [R.standard_normal((3, 4)), R.standard_normal((3, 4))], {}),
    ("RealDiv", [R.standard_normal((3, 4)), R.random((3, 4)) + 1.0], {}),
    ("MatMul", [R.standard_normal((3, 4)), R.standard_normal((4, 5))], dict(transpose_a=False, transpose_b=False)),
    ("Softmax", [R.standard_normal((3, 5))], dict(axis=1)),
    ("ReduceSum", [R.standard_normal((2, 3, 4))], dict(axis=(1,), keep_dims=False)),
    ("Conv2D", [R.standard_normal((1, 2, 5, 5)), R.standard_normal((3, 2, 3, 3))], None),  # (attrs as traced)
]


@pytest.mark.parametrize("name,inputs,attrs", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_float16_gradient_matches_finite_differences(name, inputs, attrs):
    xs = [x.astype(np.float16) for x in inputs]
    ref = OPS[name].reference
    if name == "Conv2D":
        attrs = _conv_attrs(xs)
    w = R.standard_normal(np.asarray(ref(*[x.astype(np.float64) for x in xs], **attrs)).shape).astype(np.float16)

    def objective(*args):
        return (apply(name, *args, **attrs) * Tensor(w)).sum()

    grads = ms.grad(objective, grad_position=tuple(range(len(xs))))(*[Tensor(x) for x in xs])
    if len(xs) == 1:
        grads = (grads,)  # (one position gives one Tensor: MindSpore's convention)
    x64 = [x.astype(np.float64) for x in xs]
    for k, g in enumerate(grads):
        g = g.asnumpy()
        assert g.dtype == np.float16
        num = np.zeros_like(x64[k])
        for j in range(num.size):
            plus, minus = [x.copy() for x in x64], [x.copy() for x in x64]
            plus[k].reshape(-1)[j] += 1e-6
            minus[k].reshape(-1)[j] -= 1e-6
            num.reshape(-1)[j] = ((np.asarray(ref(*plus, **attrs)) - np.asarray(ref(*minus, **attrs))) * w).sum() / 2e-6
        scale = max(1.0, float(np.abs(num).max()))
        np.testing.assert_allclose(g.astype(np.float64), num, rtol=4e-3, atol=4e-3 * scale, err_msg=f"d/d input {k}")


def _conv_attrs(xs):
    """Conv2D's attrs as its functional form records them (read off a traced call)."""
    with trace.tracing("attrs") as tr:
        a, b = (Tensor._from_node(tr.input_node(x.shape, x.dtype, i)) for i, x in enumerate(xs))
        out = ms.ops.conv2d(a, b)
    return dict(out._graph_node().attrs)


# ---- the CPU passes ---------------------------------------------------------------------------

def _trace(fn, *specs):
    with trace.tracing("t") as tr:
        xs = [Tensor._from_node(tr.input_node(s, d, i)) for i, (s, d) in enumerate(specs)]
        tr.graph.outputs = [fn(*xs)._graph_node()]
    return tr.graph


def test_float32_graphs_are_left_alone():
    g = _trace(lambda a, b: ms.ops.matmul(a, b) + 1.0, ((3, 4), np.float32), ((4, 5), np.float32))
    assert compute_in_float32(g) is g
    assert materialise_broadcasts(g) is g


def test_arithmetic_kernels_compute_in_float32_between_casts():
    g = _trace(lambda a, b: ms.ops.matmul(a, b), ((3, 4), np.float16), ((4, 5), np.float16))
    g = compute_in_float32(g)
    mm = [n for n in g.nodes if n.op == "MatMul"]
    assert len(mm) == 1 and mm[0].dtype == np.float32 and all(i.dtype == np.float32 for i in mm[0].inputs)
    assert all(i.op == "Cast" for i in mm[0].inputs)
    out = g.outputs[0]
    assert out.op == "Cast" and out.dtype == np.float16 and out.inputs[0] is mm[0]


def test_data_movement_runs_on_the_bits():
    g = _trace(lambda a: ms.ops.transpose(a, (1, 0)), ((3, 4), np.float16))
    assert compute_in_float32(g) is g


def test_broadcast_inputs_are_materialised():
    g = _trace(lambda a, b: a + b, ((2, 3, 4), np.float16), ((4,), np.float16))
    g = materialise_broadcasts(g)
    add = [n for n in g.nodes if n.op == "Add"][0]
    assert add.inputs[1].op == "BroadcastTo" and add.inputs[1].shape == (2, 3, 4)
    a = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float16)
    b = np.random.default_rng(1).standard_normal(4).astype(np.float16)
    assert _bits_equal(_run("Add", [a, b], {}), a + b)


def test_in_place_kernels_writing_float16_are_refused():
    g = Graph("t")
    specs = [((4, 3), np.float16), ((4, 3), np.float16), ((), np.float16), ((), np.float16), ((), np.float16),
             ((2, 3), np.float16), ((2,), np.int32)]
    leaves = []
    for k, (shape, dtype) in enumerate(specs):
        n = g.add(Node(g.new_id(), "input", [], {}, shape, dtype))
        n.index = k
        leaves.append(n)
    update = g.add(Node(g.new_id(), "SparseApplyProximalAdagrad", leaves, {}, (4, 3), np.float16))
    g.inputs, g.outputs = leaves, [update]
    with pytest.raises(TypeError, match="SparseApplyProximalAdagrad.*float16.*in place"):
        compute_in_float32(g)
