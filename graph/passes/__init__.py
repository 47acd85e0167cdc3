"""The pass pipeline: an explicit ordered list of ``Graph -> Graph`` functions. With
``set_context(debug=True)`` the verifier runs after every pass."""

from ..verify import verify
from .cse import cse
from .dce import dce
from .fold import fold
from .fuse_elementwise import fuse_elementwise
from .multi_tensor import multi_tensor
from .overlap import overlap_collectives

PIPELINE = [("dce", dce), ("fold", fold), ("cse", cse), ("dce_final", dce), ("fuse_elementwise", fuse_elementwise),
            ("multi_tensor", multi_tensor), ("overlap_collectives", overlap_collectives)]
# overlap_collectives runs last: it only reorders nodes, after fusion has made the launches it orders
# Memory planning runs while lowering (backends/lower.py); it can be disabled by name like the graph passes.
LOWERING_PASSES = ("memory_plan",)
PASS_NAMES = tuple(name for name, _ in PIPELINE) + LOWERING_PASSES


# The device target's passes run here: after the target-neutral simplifications, before fusion, so the
# elementwise ops they insert (casts, materialised broadcasts, layout changes) fuse with their neighbours.
TARGET_PASSES_BEFORE = "fuse_elementwise"


def pipeline(extra=()):
    """[(name, pass)]: PIPELINE with the device target's ``extra`` passes inserted before fusion."""
    at = [name for name, _ in PIPELINE].index(TARGET_PASSES_BEFORE)
    return [*PIPELINE[:at], *extra, *PIPELINE[at:]]


def run_passes(graph, debug=False, on_pass=None, disabled=(), extra=()):
    """Run PIPELINE, with the device target's ``extra`` passes before fusion, over ``graph`` (skipping the
    names in ``disabled``); ``on_pass(index, name, graph)`` is called after each (for dumps)."""
    unknown = set(disabled) - set(PASS_NAMES) - {name for name, _ in extra}
    if unknown:  # (lowering passes are accepted here and honoured while lowering)
        raise ValueError(f"unknown pass(es) {sorted(unknown)}; passes: {list(PASS_NAMES)}")
    verify(graph)
    if on_pass:
        on_pass(0, "traced", graph)
    for i, (name, fn) in enumerate(pipeline(extra), start=1):
        if name in disabled:
            continue
        graph = fn(graph)
        if debug:
            verify(graph)
        if on_pass:
            on_pass(i, name, graph)
    if not debug:
        verify(graph)
    return graph


__all__ = ["PIPELINE", "PASS_NAMES", "pipeline", "run_passes", "dce", "cse", "fold", "fuse_elementwise", "multi_tensor",
           "overlap_collectives", "verify"]
