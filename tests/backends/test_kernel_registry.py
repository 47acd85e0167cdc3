"""The kernel registry (``backends/base.py``): lookups name what is missing, one kernel per (op, target),
and kernels live with their target's code: nothing under ops/ or graph/ imports numba or defines a
registered kernel."""

import glob
import inspect
import os
import re

import pytest

import minispore
import minispore.backends.cpu.kernels  # noqa: F401  (registers the CPU kernels)
from minispore.backends import base
from minispore.backends.base import MissingKernelError, kernel, kernel_for, kernels_of

ROOT = os.path.dirname(os.path.abspath(minispore.__file__))
TARGET_FREE = ("ops", "graph")  # folders that hold no target code


def _sources(folder):
    return sorted(glob.glob(os.path.join(ROOT, folder, "**", "*.py"), recursive=True))


def test_missing_kernel_names_the_op_the_target_and_what_exists():
    # (a made-up target: whether GPU kernels are registered depends on whether numba-cuda was loaded)
    with pytest.raises(MissingKernelError, match=re.escape("op 'NoSuchOp' has no kernel for TPU (has: none)")):
        kernel_for("NoSuchOp", "TPU")
    with pytest.raises(MissingKernelError, match=re.escape("op 'MatMul' has no kernel for TPU (has: Ascend, CPU)")):
        kernel_for("MatMul", "TPU")


def test_kernel_for_finds_the_registered_kernel():
    spec = kernel_for("MatMul", "CPU")
    assert spec.op == "MatMul" and spec.target == "CPU" and spec.fn.__name__ == "matmul_kernel"
    assert kernels_of("CPU")["MatMul"] is spec


def test_two_kernels_for_one_op_and_target_are_refused(monkeypatch):
    monkeypatch.setattr(base, "_KERNELS", {})

    @kernel("SomeOp", "CPU")
    def first(x, out):
        pass

    with pytest.raises(ValueError, match="op 'SomeOp' has two kernels for CPU: first and second"):
        @kernel("SomeOp", "CPU")
        def second(x, out):
            pass

    @kernel("SomeOp", "GPU")  # another target is fine
    def on_gpu(x, out):
        pass

    assert kernel_for("SomeOp", "CPU").fn is first and kernel_for("SomeOp", "GPU").fn is on_gpu


@pytest.mark.parametrize("folder", TARGET_FREE)
def test_no_numba_and_no_kernel_in_target_free_folders(folder):
    files = _sources(folder)
    assert files
    for path in files:
        with open(path) as f:
            text = f.read()
        rel = os.path.relpath(path, ROOT)
        assert not re.search(r"^\s*(import numba|from numba\b)", text, re.M), f"{rel} imports numba"
        assert not re.search(r"^\s*@kernel\(", text, re.M), f"{rel} registers a kernel"
        assert not rel.endswith("_kernels.py"), f"{rel}: kernels belong in backends/<target>/kernels/"
    for spec in kernels_of("CPU").values():
        where = os.path.relpath(inspect.getsourcefile(spec.fn), ROOT)
        assert where.split(os.sep)[0] not in TARGET_FREE, f"{spec.op}'s kernel {spec.fn.__name__} is in {where}"
