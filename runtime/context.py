"""``set_context`` / ``get_context``: execution mode, device target and compiler options."""

import logging
import os

from ..backends import available_targets, backend_pass_names
from ..backends.ascend.backend import check_ascend_config
from ..backends.ascend.memory import parse_max_device_memory
from ..graph.passes import PASS_NAMES
from ..graph.session import SESSION

GRAPH_MODE = 0
PYNATIVE_MODE = 1

_KNOWN_TARGETS = ("CPU", "GPU", "Ascend")

_DEFAULTS = {
    "mode": GRAPH_MODE,
    "device_target": "CPU",
    "device_id": 0,
    "save_graphs": False,
    "save_graphs_path": ".",
    "compile_cache_dir": None,
    "debug": False,
    "disabled_passes": (),
    "executor": "compiled",
    "cpu_parallel": False,
    "cpu_threads": None,
    # the first step of a CPU graph on the reference executor while its kernels compile (backends/cpu/deferred.py);
    # MINISPORE_BACKGROUND_COMPILE=0 turns it off for a whole process tree (the test suite does: its kernel tests
    # must run the kernels from the first call)
    "background_compile": os.environ.get("MINISPORE_BACKGROUND_COMPILE", "1") != "0",
    "ascend_config": None,
    "max_device_memory": None,
}

SESSION.context.update(_DEFAULTS)
_CONTEXT = SESSION.context  # the session's options; any change bumps SESSION.context_version

logger = logging.getLogger("minispore")


def set_context(**kwargs):
    """Set global options: ``mode`` (GRAPH_MODE/PYNATIVE_MODE), ``device_target`` ('CPU', 'GPU',
    'Ascend'), ``device_id``, ``save_graphs``, ``save_graphs_path``, ``compile_cache_dir``, ``debug``
    (run the IR verifier after every pass), ``disabled_passes`` (names of graph passes to skip, e.g.
    ``("fuse_elementwise",)``: for checking that a pass keeps results identical), ``cpu_parallel``
    (opt-in: large elementwise and fused kernels run as prange loops; same numbers as serial),
    ``cpu_threads`` (threads for those loops and for BLAS; default all cores when parallel),
    ``background_compile`` (default True: on the CPU target a graph's first step runs with the ops' numpy
    references while numba compiles its kernels in a background thread; later steps run the kernels),
    ``executor`` ('compiled', or 'reference' to run graphs with the ops' numpy references: a test oracle),
    ``ascend_config`` ({"precision_mode": ...} on the Ascend target), ``max_device_memory`` ("30GB": the
    simulated Ascend's device memory, default 32GB)."""
    for key, value in kwargs.items():
        if key not in _CONTEXT:
            raise ValueError(f"For 'set_context', unknown option '{key}'; known options: {sorted(_CONTEXT)}")
        if key == "mode" and value not in (GRAPH_MODE, PYNATIVE_MODE):
            raise ValueError(f"For 'set_context', mode must be GRAPH_MODE (0) or PYNATIVE_MODE (1), got {value!r}")
        if key == "device_target":
            if value not in _KNOWN_TARGETS:
                raise ValueError(f"For 'set_context', device_target must be one of {list(_KNOWN_TARGETS)}, "
                                 f"but got {value!r}")
            if value not in available_targets():
                raise RuntimeError(f"device_target '{value}' is not available yet in this minispore build; "
                                   f"available targets: {available_targets()}")
        if key == "disabled_passes":
            value = tuple(value)
            known = list(PASS_NAMES) + sorted(backend_pass_names())
            unknown = set(value) - set(known)
            if unknown:
                raise ValueError(f"For 'set_context', unknown pass(es) {sorted(unknown)}; passes: {known}")
        if key == "executor" and value not in ("compiled", "reference"):
            raise ValueError(f"For 'set_context', executor must be 'compiled' or 'reference', got {value!r}")
        if key == "background_compile" and not isinstance(value, bool):
            raise ValueError(f"For 'set_context', background_compile must be a bool, got {value!r}")
        if key == "cpu_threads" and value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                                           or value < 1):
            raise ValueError(f"For 'set_context', cpu_threads must be a positive int or None, got {value!r}")
        if key == "ascend_config" and value is not None:
            value = check_ascend_config(value)
        if key == "max_device_memory" and value is not None:
            parse_max_device_memory(value)
        if key == "compile_cache_dir" and value is not None:
            value = os.path.abspath(os.path.expanduser(value))
        _CONTEXT[key] = value
    SESSION.context_version += 1


def get_context(key):
    if key not in _CONTEXT:
        raise ValueError(f"For 'get_context', unknown option '{key}'; known options: {sorted(_CONTEXT)}")
    return _CONTEXT[key]


def version():
    return SESSION.context_version
