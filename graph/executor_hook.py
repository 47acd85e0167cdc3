"""The seam between graph construction and execution.

Cells and gradient functions called outside a trace must be compiled for the device target and
run; that machinery lives in ``runtime`` (which depends on everything), so it registers itself
on the session when minispore is imported and the lower layers call through this hook.
"""

from .session import SESSION


class CompileCache:
    """Compiled graphs of one callable, keyed by input signature; ``last`` is the newest."""

    def __init__(self):
        self.entries = {}
        self.last = None


def run_compiled(cache, fn, args, name, mode_key=None):
    """Trace ``fn(*args)`` into a graph (cached per input signature in ``cache``, a CompileCache), compile, run."""
    if SESSION.runner is None:
        raise RuntimeError("minispore.runtime is not loaded; import minispore first")
    return SESSION.runner(cache, fn, args, name, mode_key)
