"""Ctrl-C never leaves a step half-applied.

A compiled step updates parameters and optimizer state in place, kernel after kernel, from Python. A
KeyboardInterrupt raised between two of those kernels would leave some parameters updated and others not
(and a checkpoint saved from there would hold a state no step ever produced). ``run_whole`` runs a step with
SIGINT deferred: the first Ctrl-C is remembered and delivered to the previous handler when the step has
finished, so the parameters are those after the step; a second Ctrl-C during the same step stops at once
(a user who means it is never stuck behind a long compile), with a warning that the state may be partial.
"""

import signal
import sys
import threading

_MAIN_ID = threading.main_thread().ident


class _Guard:
    installed = False   # our handler is SIGINT's (installed at the first step run on the main thread)
    previous = None     # the handler it replaced, which receives every interrupt in the end
    depth = 0           # steps running on the main thread
    pending = None      # the frame of an interrupt deferred to the end of the step
    what = ""


def _deliver(handler, signum, frame):
    if callable(handler):
        handler(signum, frame)
    elif handler == signal.SIG_DFL:  # the default action of SIGINT: what Python does without a handler
        raise KeyboardInterrupt


def _on_sigint(signum, frame):
    if _Guard.depth == 0:
        _deliver(_Guard.previous, signum, frame)
    elif _Guard.pending is None:
        _Guard.pending = frame
        sys.stderr.write(f"minispore: interrupt received; finishing the current step of {_Guard.what} so no "
                         "parameter is left half-updated (Ctrl-C again to stop at once)\n")
    else:  # the second Ctrl-C in one step: stop now
        _Guard.pending = None
        sys.stderr.write(f"minispore: interrupted again inside {_Guard.what}: stopping now; its parameters may be "
                         "partly updated\n")
        _deliver(_Guard.previous, signum, frame)


def _install():
    previous = signal.getsignal(signal.SIGINT)
    _Guard.installed = True
    if previous in (signal.SIG_IGN, None):  # ignored, or a handler not installed from Python: leave it alone
        return
    signal.signal(signal.SIGINT, _on_sigint)
    _Guard.previous = previous


def run_whole(run, inputs, what):
    """``run(inputs)`` with SIGINT deferred to its end (main thread only: signals reach no other thread).
    The handler stays installed between steps (it forwards at once there), so a step costs two attribute
    writes, not two ``signal.signal`` calls."""
    if threading.get_ident() != _MAIN_ID:
        return run(inputs)
    if not _Guard.installed:
        _install()
    _Guard.depth += 1
    _Guard.what = what
    try:
        out = run(inputs)
    finally:
        _Guard.depth -= 1
    if _Guard.depth == 0 and _Guard.pending is not None:
        frame, _Guard.pending = _Guard.pending, None
        _deliver(_Guard.previous, signal.SIGINT, frame)
    return out
