"""The op sweep of ``tests/ops`` on the GPU target in numba's CUDA simulator: every op case compiles and
runs on the GPU and agrees with the op's numpy reference; and every op has a GPU kernel or a scalar body
(or needs no kernel: views, fused kinds generated per graph, host ops). Run by ``../test_gpu_target.py``
with NUMBA_ENABLE_CUDASIM=1 set before numba is imported; not collected otherwise (conftest.py)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import minispore as ms
from minispore.backends.base import MissingKernelError, kernel_for
from minispore.ops.registry import OPS

_DEFS = Path(__file__).resolve().parents[3] / "ops" / "test_op_definitions.py"
_spec = importlib.util.spec_from_file_location("gpu_sweep_op_definitions", _DEFS)
defs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(defs)  # the CPU sweep's cases and its compile-one-op helper

# Ops that exist for one other target only: the graph passes that insert them run on that target alone
# (MatMulEpilogue: made only by the CPU's epilogue-fusion pass, backends/cpu/epilogue.py).
OTHER_TARGET_ONLY = {"TransData": "Ascend", "MatMulEpilogue": "CPU"}


@pytest.fixture(autouse=True)
def _gpu():
    ms.set_context(device_target="GPU")
    import minispore.backends.cuda.kernels  # noqa: F401  (registers the GPU kernels; numba.cuda is the simulator)
    yield
    ms.set_context(device_target="CPU")


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_has_a_gpu_kernel_or_a_scalar_body(name):
    op = OPS[name]
    if op.scalar is not None or op.kind in defs._NO_KERNEL_KINDS or name in OTHER_TARGET_ONLY:
        return
    try:
        kernel_for(name, "GPU")
        return
    except MissingKernelError as e:
        message = str(e)
    pytest.fail(message, pytrace=False)  # op 'X' has no kernel for GPU (has: ...)


# (the cases of ops that exist for another target only are left out, not skipped: ../test_gpu_target.py
# requires a suite with no skips)
GPU_FLAT = [(name, i, case) for name, i, case in defs.FLAT if name not in OTHER_TARGET_ONLY]


@pytest.mark.parametrize("name,i,case", GPU_FLAT, ids=[f"{name}-{i}" for name, i, _ in GPU_FLAT])
def test_gpu_matches_reference(name, i, case):
    attrs = case.get("attrs", {})
    inputs = [ms.Tensor(x.copy()) for x in case["inputs"]]
    got = defs._compiled(name, attrs, len(inputs))(*inputs).asnumpy()
    want = np.asarray(OPS[name].reference(*[x.copy() for x in case["inputs"]], **attrs))
    assert got.shape == want.shape and got.dtype == want.dtype, (got.dtype, want.dtype)
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float64, np.int32])
def test_gather_grad_runs_other_dtypes_with_the_cpus_numbers(dtype):
    """GatherGrad sums in d's dtype (float64 in float64), repeated and negative indices in index order,
    giving the CPU kernel's bits."""
    d = (np.random.default_rng(1).standard_normal((2, 4, 3)) * 100).astype(dtype)
    idx = np.array([1, -4, 3, 1], np.int32)
    attrs = dict(shape=(2, 5, 3), axis=1)
    got = {}
    for target in ("CPU", "GPU"):
        ms.set_context(device_target=target)
        got[target] = defs._compiled("GatherGrad", attrs, 2)(ms.Tensor(d.copy()), ms.Tensor(idx.copy())).asnumpy()
    assert got["GPU"].dtype == dtype
    np.testing.assert_array_equal(got["GPU"], got["CPU"])
