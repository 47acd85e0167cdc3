"""The GPU target: ``CudaBackend`` (device_target="GPU").

Only this file is imported with minispore; it imports numba.cuda when the backend is created, after
checking that a CUDA device (or numba's CUDA simulator) is there, and then loads the device half
(``plan.py``: storage, emitter and the kernels of ``kernels/``). numba decides between the driver and
the simulator when numba.cuda is first imported (``NUMBA_ENABLE_CUDASIM``), which is why the device
half is loaded by name at that moment rather than imported with the package.
"""

import functools
import importlib

from ..base import Backend
from ..half_passes import compute_in_float32

SIMULATOR_HINT = ("To run the GPU target without a GPU, set NUMBA_ENABLE_CUDASIM=1 before importing minispore "
                  "(numba's CUDA simulator; slow, for tests)")


def _numba_cuda():
    """numba.cuda, or the clear error naming the target when numba-cuda is not installed."""
    try:
        from numba import cuda
    except ImportError as e:  # numba without the numba-cuda package
        raise RuntimeError(f"device_target 'GPU' needs numba-cuda ({e}); install it with "
                           f"pip install 'minispore[gpu]'. {SIMULATOR_HINT}") from None
    return cuda


def check_device():
    """numba.cuda when a CUDA device (or the simulator) is usable; otherwise the no-device error."""
    cuda = _numba_cuda()
    if cuda.is_available():  # (True in the simulator, which reports one device named SIMULATOR)
        return cuda
    try:
        cuda.current_context()
        reason = "the CUDA driver reports no usable device"
    except Exception as e:  # the driver's own reason: no driver library, no device, ...
        reason = " ".join(str(e).split()).rstrip(": ")
    raise RuntimeError(f"device_target 'GPU': no CUDA device was found ({reason}). {SIMULATOR_HINT}")


class CudaBackend(Backend):
    """numba-cuda kernels launched by a generated Python step; parameters, optimizer state, the step
    counter and every buffer live on the device from ``Plan.bind`` on (``Parameter.asnumpy`` copies
    back on demand). Dataset sink runs ``sink_size`` steps per call."""

    target = "GPU"
    dataset_sink = True
    pass_names = ("gpu_float32_compute",)

    def __init__(self, context, cache):
        super().__init__(context, cache)
        check_device()
        self._device = importlib.import_module(f"{__package__}.plan")  # numba.cuda is importable now
        self._storage = self._device.CudaStorage()

    def passes(self):
        """float16 arithmetic kernels compute in float32 between Casts (``backends/half_passes.py``);
        elementwise ops, broadcasting ones included, load float16 in their generated kernels."""
        return [("gpu_float32_compute", functools.partial(compute_in_float32, target="GPU"))]

    def storage(self):
        return self._storage

    def emit(self, schedule):
        return self._device.make_plan(schedule, self.cache, self._storage)
