"""The CPU target's graph passes (``CpuBackend.passes()``): how a graph holding 16-bit floats (float16,
bfloat16) becomes one the CPU's kernels can run. They run before elementwise fusion, so the Casts and
broadcasts they add fuse with their neighbours. A graph without 16-bit floats is returned unchanged.

The CPU stores a 16-bit float as its uint16 bit pattern (``f16.py``). Three kinds of op see such data:

  * elementwise ops compute in float32 inside generated kernels that load and round each value
    (``fused_codegen.py``): nothing to rewrite, except that those kernels read every input either
    full-size or as one element, so ``materialise_broadcasts`` first copies a broadcast input to the
    output's shape with ``BroadcastTo`` (a bit copy). Why not a generated broadcasting kernel: it would
    need the strided walk in a second generator, and a materialised input lets the op fuse with its
    neighbours (fusion refuses broadcast inputs); the price is one 2-byte copy of the output's size
    (the bias adds of a 784-512-512-10 MLP at batch 1024: 1.0 ms of a 36 ms step, where float32's
    broadcasting map kernel takes 1.5 ms);
  * pure data-movement kernels (``DATA_MOVEMENT``) copy bit patterns and run on the uint16 arrays as
    they are;
  * every other kernel is arithmetic: ``compute_in_float32`` rewrites it to read its 16-bit inputs
    through ``Cast(-> float32)``, compute in float32 and ``Cast`` its result back (MindSpore's
    precision for float16 cube ops: float16 in, float32 accumulation, float16 out). An in-place
    arithmetic kernel writing a 16-bit buffer cannot be rewritten so and is refused at compile time.

Both rewrites are target-neutral and live in ``backends/half_passes.py`` (the GPU uses the first too).
"""

from ..half_passes import DATA_MOVEMENT, FLOAT32, _Rewriter, compute_in_float32, materialise_broadcasts

__all__ = ["DATA_MOVEMENT", "FLOAT32", "PASSES", "_Rewriter", "compute_in_float32", "materialise_broadcasts"]

PASSES = [("cpu_float32_compute", compute_in_float32), ("cpu_materialise_broadcasts", materialise_broadcasts)]
