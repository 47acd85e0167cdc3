"""Every registered op: has all its pieces, and a kernel (or a scalar body) on every registered target;
agrees with its numpy reference on every target and through the reference executor; and (when
differentiable) its gradient agrees with float64 central finite differences."""

import glob
import importlib.util
import os

import numpy as np
import pytest

import minispore as ms
import minispore.backends.cpu.kernels  # noqa: F401  (registers the CPU kernels)
from minispore.backends.base import MissingKernelError, kernel_for
from minispore.graph import executor_hook
from minispore.ops.registry import OPS, OpKind, apply

# Every device target that registers kernels (backends/<target>/kernels/).
TARGETS = ["CPU"]
# Kinds that need no kernel of their own: a view runs nothing; fused kinds are generated per graph by
# the backend from their member ops' scalar bodies; host ops run their numpy reference on the host.
_NO_KERNEL_KINDS = (OpKind.VIEW, OpKind.FUSED, OpKind.MULTI_TENSOR, OpKind.HOST)


def _load_cases():
    """Gather CASES from every tests/ops/cases_*.py (loaded by path: tests are not a package)."""
    cases = {}
    for path in sorted(glob.glob(os.path.join(os.path.dirname(__file__), "cases_*.py"))):
        spec = importlib.util.spec_from_file_location(f"op_cases_{os.path.basename(path)[6:-3]}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for name, entries in mod.CASES.items():
            assert name not in cases, f"test cases for {name} are defined twice"
            cases[name] = entries
    return cases


CASES = _load_cases()
FLAT = [(name, i, case) for name, cases in sorted(CASES.items()) for i, case in enumerate(cases)]
IDS = [f"{name}-{i}" for name, i, _ in FLAT]


# Ops that only work as a pair, so a case of one op alone cannot run them: tested where the pair is built.
TESTED_AS_A_PAIR = {"AllReduceStart": "tests/distributed/test_overlap.py",
                    "AllReduceWait": "tests/distributed/test_overlap.py"}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_has_every_piece(name):
    op = OPS[name]
    assert callable(op.infer) and callable(op.reference)
    assert op.nondiff or callable(op.grad), f"{name} has no gradient rule"
    assert name in CASES or name in TESTED_AS_A_PAIR, f"{name} has no test cases in tests/ops/cases_*.py"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", sorted(OPS))
def test_op_runs_on_every_target(name, target):
    """An elementwise scalar body, a view, a fused kind, or a kernel registered for the target."""
    op = OPS[name]
    if op.scalar is not None or op.kind in _NO_KERNEL_KINDS:
        return
    try:
        kernel_for(name, target)
    except MissingKernelError as e:
        pytest.fail(str(e), pytrace=False)  # op 'X' has no kernel for CPU (has: ...)


def _compiled(name, attrs, n_inputs):
    cache = executor_hook.CompileCache()

    def fn(*xs):
        return apply(name, *xs, **attrs)

    return lambda *xs: executor_hook.run_compiled(cache, fn, xs, name)


# Backends the op sweep runs on: every device target, and the reference executor (the oracle's own
# path through lowering: the same schedule, run with the numpy references).
SWEEP_BACKENDS = [*TARGETS, "reference"]


@pytest.fixture(params=SWEEP_BACKENDS)
def backend(request):
    if request.param == "reference":
        ms.set_context(executor="reference")
    else:
        ms.set_context(device_target=request.param)
    yield request.param
    ms.set_context(executor="compiled", device_target="CPU")


@pytest.mark.parametrize("name,i,case", FLAT, ids=IDS)
def test_compiled_matches_reference(backend, name, i, case):
    attrs = case.get("attrs", {})
    inputs = [ms.Tensor(x.copy()) for x in case["inputs"]]  # in-place ops must not alter the case
    got = _compiled(name, attrs, len(inputs))(*inputs).asnumpy()
    want = OPS[name].reference(*[x.copy() for x in case["inputs"]], **attrs)
    want = np.asarray(want)
    assert got.shape == want.shape
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)
    else:
        np.testing.assert_array_equal(got, want)
    eager = apply(name, *[ms.Tensor(x.copy()) for x in case["inputs"]], **attrs).asnumpy()
    assert eager.shape == want.shape


def _grad_indices(name, case):
    if "grad" in case:
        return case["grad"]
    return [k for k, x in enumerate(case["inputs"]) if x.dtype.kind == "f"]


GRAD_FLAT = [(n, i, c) for n, i, c in FLAT if not OPS[n].nondiff and c.get("fd", True)
             and _grad_indices(n, c)]


@pytest.mark.parametrize("name,i,case", GRAD_FLAT, ids=[f"{n}-{i}" for n, i, _ in GRAD_FLAT])
def test_gradient_matches_finite_differences(name, i, case):
    attrs = dict(case.get("attrs", {}))
    if name == "Cast":
        attrs["dtype"] = np.dtype(np.float64)
    xs = [x.astype(np.float64) if x.dtype.kind == "f" else x for x in case["inputs"]]
    idx = _grad_indices(name, case)
    ref = OPS[name].reference
    out_shape = np.asarray(ref(*[x.copy() for x in xs], **attrs)).shape
    w = np.random.default_rng(7).standard_normal(out_shape)

    def objective(*args):
        return (apply(name, *args, **attrs) * ms.Tensor(w)).sum()

    # The gradient graph runs on the reference executor: this checks the gradient rules in float64
    # without compiling float64 kernels (the CPU kernels are checked against the references above).
    ms.set_context(executor="reference")
    try:
        grads = ms.grad(objective, grad_position=tuple(idx))(*[ms.Tensor(x) for x in xs])
        if len(idx) == 1:
            grads = (grads,)  # (one position, even as a 1-tuple, gives one Tensor: MindSpore's convention)
    finally:
        ms.set_context(executor="compiled")
    eps = 1e-6
    for k, g in zip(idx, grads):
        num = np.zeros_like(xs[k])
        flat = num.reshape(-1)
        for j in range(flat.size):
            plus = [x.copy() for x in xs]
            minus = [x.copy() for x in xs]
            plus[k].reshape(-1)[j] += eps
            minus[k].reshape(-1)[j] -= eps
            fp = float((np.asarray(ref(*plus, **attrs)) * w).sum())
            fm = float((np.asarray(ref(*minus, **attrs)) * w).sum())
            flat[j] = (fp - fm) / (2 * eps)
        np.testing.assert_allclose(g.asnumpy(), num, rtol=1e-5, atol=1e-6, err_msg=f"d/d input {k}")
