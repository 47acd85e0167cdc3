"""The Ascend target's own kernels: importing this package registers them (``@kernel(op, "Ascend")``).

Every other op runs the CPU's kernel: the Ascend backend's kernel library is the CPU's kernels plus these
(``AscendBackend.library``), and the (CPU's) emitter picks one of these for a node whose ``data_format``
attr is one of Ascend's blocked formats (registered below). Kernels: ``TransData`` (every format
conversion; registered for the CPU too, as it is plain data movement), Conv2D and its two gradient ops
computing on NC1HWC0 feature maps and FRACTAL_Z weights, and MatMul on FRACTAL_NZ matrices.
"""

from ...cpu.emit import FORMAT_TARGETS
from . import conv, layout, matmul  # noqa: F401

FORMAT_TARGETS["NC1HWC0"] = "Ascend"  # Conv2D & co. with data_format="NC1HWC0" run conv.py's kernels
FORMAT_TARGETS["FRACTAL_NZ"] = "Ascend"  # MatMul with data_format="FRACTAL_NZ" runs matmul.py's kernel
