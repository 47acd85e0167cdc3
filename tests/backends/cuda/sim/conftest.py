"""The simulator suite runs only in a process started with NUMBA_ENABLE_CUDASIM=1 (set before numba is
imported: ``../test_gpu_target.py`` starts one); anywhere else its files are not collected, so the main test
process never imports numba.cuda. Every test here leaves the context on the CPU target."""

import os

import pytest

collect_ignore_glob = [] if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" else ["test_*.py"]


@pytest.fixture(autouse=True)
def _restore_context():
    yield
    import minispore as ms

    ms.set_context(device_target="CPU")
