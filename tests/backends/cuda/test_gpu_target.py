"""The GPU target from the main test process, which never imports numba.cuda itself: the simulator suite
(``sim/``) and the PTX check run in subprocesses, and the no-device error is checked in one without the
simulator. Skipped when numba-cuda is not installed (the core install does not need it)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[3]  # the repository root is the package ``minispore``
pytestmark = pytest.mark.skipif(importlib.util.find_spec("numba_cuda") is None, reason="numba-cuda not installed")


def _run(args, simulator, timeout):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PACKAGE_ROOT.parent), os.environ.get("PYTHONPATH", "")]))
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    if simulator:
        env["NUMBA_ENABLE_CUDASIM"] = "1"
    return subprocess.run([sys.executable, *args], cwd=PACKAGE_ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_simulator_suite_gives_the_cpu_numbers():
    r = _run(["-m", "pytest", "tests/backends/cuda/sim", "-p", "no:cacheprovider"], True, 900)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-3000:]
    assert " passed" in r.stdout and "skipped" not in r.stdout and "deselected" not in r.stdout, r.stdout[-2000:]


_NO_DEVICE = """
import numpy as np
from numba import cuda
if cuda.is_available():
    print("HAS-GPU")
    raise SystemExit(0)
import minispore as ms
from minispore import Tensor, nn
ms.set_context(device_target="GPU")
try:
    nn.Dense(2, 2)(Tensor(np.ones((1, 2), np.float32)))
except RuntimeError as e:
    print("ERROR:", e)
"""


def test_no_device_is_a_clear_error_naming_the_target_and_the_simulator():
    r = _run(["-c", _NO_DEVICE], False, 300)
    if "HAS-GPU" in r.stdout:
        pytest.skip("this machine has a CUDA device")
    assert "ERROR: device_target 'GPU': no CUDA device was found (" in r.stdout, r.stdout + r.stderr
    assert "set NUMBA_ENABLE_CUDASIM=1 before importing minispore" in r.stdout


def test_ptx_check_compiles_every_kernel_for_sm_90_without_float64():
    """Every hand-written kernel and every generated map kernel, float32 and float16 (Sin and Cos through
    ``trig32``'s float32-only reduction instead of libdevice's sinf/cosf)."""
    r = _run(["-m", "minispore.backends.cuda.ptx_check", "--arch", "sm_90"], False, 1200)
    assert r.returncode == 0, r.stdout + r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert last.endswith(" kernels compiled for sm_90, 0 with float64"), r.stdout
    assert int(last.split()[0]) > 100, last


def test_ptx_check_compiles_float16_maps():
    only = ["map_Cast_f32_f16", "map_Cast_f16_f32", "map_Add_f16", "map_Sin_f16", "map_Sin", "map_Cos"]
    r = _run(["-m", "minispore.backends.cuda.ptx_check", "--arch", "sm_90", "--only", *only], False, 300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().splitlines()[-1] == "6 kernels compiled for sm_90, 0 with float64"


_FLOAT64_KERNEL = """
from numba import cuda


@cuda.jit
def scale_in_float64(out, x):
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[i] = x[i] * 0.1  # (a Python float: the multiply runs in float64, then rounds to float32)


PTX = [(scale_in_float64, "void(float32[::1], float32[::1])")]
"""


def test_ptx_check_finds_float64_instructions(tmp_path):
    """The check is real: a float32 kernel multiplying by a bare Python float is reported."""
    path = tmp_path / "float64_kernel.py"
    path.write_text(_FLOAT64_KERNEL)
    r = _run(["-m", "minispore.backends.cuda.ptx_check", "--arch", "sm_90", "--only", "scale_in_float64",
              "--extra", str(path)], False, 300)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "scale_in_float64: " in r.stdout and "float64 instructions" in r.stdout, r.stdout
    assert r.stdout.strip().endswith("1 kernels compiled for sm_90, 1 with float64"), r.stdout
