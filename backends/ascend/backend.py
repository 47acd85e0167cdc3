"""The Ascend target, simulated on the CPU: Ascend 910's execution model on the CPU's kernels.

Its own graph passes come first (``passes()``): operator precision (``precision.py``: the Cube's float16
arithmetic), data layouts (``layout.py``: convolutions on NC1HWC0 / FRACTAL_Z between TransData nodes), then
the CPU's float16 passes that make the graph runnable on CPU kernels. Its kernel library is the CPU's plus
its own (``kernels/``: the blocked convolutions and TransData). The plan is the CPU
emitter's, checked against the device-memory budget (``memory.py``) before anything is allocated. Dataset sink
mode runs ``sink_size`` steps per call, as on Ascend.
"""

from ...graph.opdef import OPS
from ...graph.session import SESSION
from ..cpu import kernel_library
from ..cpu.backend import CpuBackend
from . import kernels  # noqa: F401  (registers the Ascend kernels)
from .cost_report import cost_text
from .layout import LAYOUT_PASSES
from .memory import check_device_memory, parse_max_device_memory
from .precision import DEFAULT_PRECISION_MODE, PRECISION_MODES, precision_pass
from .saturation import float_status_pass

# ascend_config keys MindSpore accepts that change nothing a CPU simulation can show
ASCEND_CONFIG_INERT = ("jit_compile", "atomic_clean_policy", "matmul_allow_hf32", "conv_allow_hf32",
                       "op_precision_mode", "exception_dump", "op_debug_option", "ge_options",
                       "parallel_speed_up_json_path", "host_scheduling_max_threshold", "save_checkpoint_steps")


def check_ascend_config(config):
    """MindSpore's ``ascend_config`` dict: a known ``precision_mode``; other known keys are accepted."""
    if not isinstance(config, dict):
        raise TypeError(f"For 'set_context', the type of 'ascend_config' must be dict, but got {type(config)}.")
    for key, value in config.items():
        if key == "precision_mode":
            if value not in PRECISION_MODES:
                raise ValueError(f"For 'set_context', 'ascend_config'['precision_mode'] must be one of "
                                 f"{sorted(PRECISION_MODES)}, but got {value!r}.")
        elif key not in ASCEND_CONFIG_INERT:
            raise ValueError(f"For 'set_context', 'ascend_config' has no key {key!r}; keys: "
                             f"{sorted(('precision_mode',) + ASCEND_CONFIG_INERT)}")
    return dict(config)


class AscendBackend(CpuBackend):
    """Options (``set_context``): ``ascend_config`` (``{"precision_mode": ...}``, default
    ``allow_fp32_to_fp16``), ``max_device_memory`` ("32GB" style; default the 910's 32 GB)."""

    target = "Ascend"
    context_keys = CpuBackend.context_keys + ("ascend_config", "max_device_memory")
    dataset_sink = True
    pass_names = ("hwopt_d_insert_cast", *(name for name, _ in LAYOUT_PASSES), "hwopt_d_float_status",
                  *CpuBackend.shared_pass_names)

    def __init__(self, context, cache):
        super().__init__(context, cache)
        config = check_ascend_config(self.options["ascend_config"] or {})
        self.precision_mode = config.get("precision_mode", DEFAULT_PRECISION_MODE)
        self.memory_budget = parse_max_device_memory(self.options["max_device_memory"])

    def passes(self):
        # operator precision (hwopt_d_insert_cast), then data layouts (TransData around the cube ops, redundant
        # pairs removed), so the float-status sites are the blocked ops; then what the CPU's kernels need.
        return [precision_pass(self.precision_mode), *LAYOUT_PASSES, float_status_pass(), *super().passes()]

    def library(self):
        """The CPU's kernel library plus the Ascend kernels (blocked-layout convolutions, TransData)."""
        if self._library is None:
            self._library = kernel_library.load(OPS, self.cache, self.parallel, targets=("CPU", "Ascend"))
        return self._library

    def emit(self, schedule):
        check_device_memory(schedule, self.memory_budget)
        return super().emit(schedule)

    def summary(self, graph):
        """The dump summary's Ascend 910 cost estimate of ``graph`` (``cost_model.py``)."""
        return cost_text(graph, self.precision_mode)


def current_precision_mode():
    """The precision mode the context selects (for dumps and docs)."""
    config = SESSION.context.get("ascend_config") or {}
    return config.get("precision_mode", DEFAULT_PRECISION_MODE)
