"""Micro-benchmark: minispore's Conv2D / Conv2DBackpropInput / Conv2DBackpropFilter CPU kernels against
PyTorch (``torch.nn.functional.conv2d`` and ``aten.convolution_backward``) on LeNet-5's two
convolutions, batch 32, float32.

    python benchmarks/conv_kernels.py [--threads 1 2] [--reps 200]

Each side runs in its own process (PyTorch's OpenMP workers spin after a call and would steal a core
from OpenBLAS's threads otherwise). minispore's BLAS threads are set with OPENBLAS_NUM_THREADS before
import (changing them at run time with threadpoolctl left scipy's OpenBLAS taking 8 ms per GEMM at
times on a 2-core machine); PyTorch's with ``torch.set_num_threads``. Reported: best and median of 7
timing runs, microseconds per call.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

SHAPES = {"conv1": ((32, 1, 32, 32), (6, 1, 5, 5)), "conv2": ((32, 6, 14, 14), (16, 6, 5, 5))}


def _time(fn, reps):
    for _ in range(10):
        fn()
    runs = []
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        runs.append((time.perf_counter() - t) / reps * 1e6)
    return min(runs), float(np.median(runs))


def _data(xs, ws):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    d = rng.standard_normal((xs[0], ws[0], xs[2] - ws[2] + 1, xs[3] - ws[3] + 1)).astype(np.float32)
    return x, w, d


def _minispore_case(lib, args, xs, ws, reps):
    from minispore.ops import conv

    x, w, d = _data(xs, ws)
    helpers = (lib.conv2d_span, lib.conv2d_col2im, lib.conv2d_col2im_wide)  # the host dx kernel's jitted folds
    y, dx, dw = np.empty_like(d), np.empty_like(x), np.empty_like(w)
    res = {"fwd": _time(lambda: lib.conv2d_kernel(x, w, y, *args), reps),
           "dx": _time(lambda: lib.conv2d_backprop_input_kernel(d, w, dx, *args, *helpers), reps),
           "dw": _time(lambda: lib.conv2d_backprop_filter_kernel(d, x, dw, *args), reps)}
    np.testing.assert_allclose(y, conv._conv_ref(x, w, (1, 1), (1, 1), (0, 0, 0, 0), 1), rtol=1e-3, atol=1e-3)
    return res


def run_minispore(threads, reps):
    from minispore.backends.cpu import kernel_library
    from minispore.ops.registry import OPS
    from minispore.runtime.cache import ModuleCache

    lib = kernel_library.load(OPS, ModuleCache())
    args = (1, 1, 1, 1, 0, 0, 1)  # stride, dilation, pad top/left, group
    return {name: _minispore_case(lib, args, xs, ws, reps) for name, (xs, ws) in SHAPES.items()}


def _torch_case(torch, xs, ws, reps):
    x, w, d = (torch.from_numpy(a) for a in _data(xs, ws))

    def bwd(mask):
        return lambda: torch.ops.aten.convolution_backward(d, x, w, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1,
                                                           mask)

    return {"fwd": _time(lambda: torch.nn.functional.conv2d(x, w), reps),
            "dx": _time(bwd([True, False, False]), reps),
            "dw": _time(bwd([False, True, False]), reps)}


def run_torch(threads, reps):
    import torch

    torch.set_num_threads(threads)
    with torch.no_grad():
        return {name: _torch_case(torch, xs, ws, reps) for name, (xs, ws) in SHAPES.items()}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--reps", type=int, default=200)
    p.add_argument("--worker", choices=["minispore", "torch"], help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        fn = run_minispore if a.worker == "minispore" else run_torch
        print(json.dumps(fn(a.threads[0], a.reps)))
        return
    print(f"{'shape':6} {'op':4} {'threads':>7} {'minispore us':>16} {'torch us':>16} {'ratio':>6}")
    for t in a.threads:
        got = {}
        for side in ("minispore", "torch"):
            cmd = [sys.executable, __file__, "--worker", side, "--threads", str(t), "--reps", str(a.reps)]
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t))
            r = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if r.returncode:
                print(f"{side} failed:\n{r.stderr[-2000:]}")
                got[side] = None
            else:
                got[side] = json.loads(r.stdout.strip().splitlines()[-1])
        for name in SHAPES:
            for op in ("fwd", "dx", "dw"):
                ms = got["minispore"][name][op] if got["minispore"] else (float("nan"),) * 2
                th = got["torch"][name][op] if got["torch"] else (float("nan"),) * 2
                print(f"{name:6} {op:4} {t:7d} {ms[0]:8.1f}/{ms[1]:<7.1f} {th[0]:8.1f}/{th[1]:<7.1f} "
                      f"{th[1] / ms[1]:6.2f}")


if __name__ == "__main__":
    main()
