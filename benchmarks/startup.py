"""Time to first training step in a fresh Python process, and peak memory of a short LeNet-5 run.

    python benchmarks/startup.py [--repeats 3] [--threads 1] [--steps 50]

For each repeat a new process is started per case and timed from just before it is spawned to the
end of its first LeNet-5 training step (workload A of workloads.py: batch 32, Momentum), which takes
in the interpreter start, imports, building the network, tracing, compiling and running one step:

* minispore cold: ``set_context(compile_cache_dir=<new empty temp dir>)``, so the kernel library and
  the step plan are generated and every kernel is compiled by numba (numba's cache for the generated
  modules lives in ``__pycache__`` next to them, in that dir; NUMBA_CACHE_DIR is removed from the
  child's environment so it cannot point elsewhere);
* minispore warm: the same cache dir again (generated modules and numba's cache are reused);
* PyTorch eager and JAX jit in a fresh process, for comparison (no compile cache applies: JAX's
  persistent compilation cache is off by default, so every fresh JAX process compiles).

The child then runs ``--steps`` more steps and reports ``resource.getrusage(RUSAGE_SELF).ru_maxrss``
(peak resident set size of the whole process, in MB = 10^6 bytes). Medians over ``--repeats``. Each
child is restricted to ``--threads`` CPUs (``pin``) unless ``--no-pin``.

This module imports only the standard library: the suite imports it before numpy so that the
thread settings in the environment take effect.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def thread_env(threads):
    """Environment variables that pin BLAS/OpenMP/XLA to ``threads`` threads; they must be in
    ``os.environ`` before numpy, torch or jax is first imported (changing OpenBLAS's threads at run
    time with threadpoolctl made scipy's sgemm erratic on a 2-core machine)."""
    return {"OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads),
            "MKL_NUM_THREADS": str(threads),
            "XLA_FLAGS": f"--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={threads}"}


def pin(threads):
    """Restrict this process to ``threads`` CPUs (the first ones it may use); returns them, or None
    where the OS has no affinity call. Needed for JAX: its CPU runtime runs independent ops of one
    step concurrently on a thread pool sized from the CPUs it may use, whatever XLA_FLAGS say (it was
    seen using 1.9 cores of 2 with the flags above); the other frameworks get the same restriction."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))[:threads]
    os.sched_setaffinity(0, cpus)
    return cpus


def child(framework, cache_dir, threads, steps, pinned=True):
    """Runs in the fresh process: first step, then ``steps`` more, then report times and peak RSS."""
    import resource

    if pinned:
        pin(threads)

    sys.path.insert(0, HERE)
    import workloads

    if framework == "torch":
        import torch

        torch.set_num_threads(threads)
    elif framework == "jax":
        import jax  # noqa: F401
        import optax  # noqa: F401
    else:
        import minispore  # noqa: F401
    t_import = time.time()
    step, finish = workloads.build(framework, "A", cache_dir=cache_dir)
    loss = finish(step())
    t_first = time.time()
    t_second = None
    for i in range(steps):
        last = step()
        if i == 0:
            finish(last)
            t_second = time.time()
    if steps:
        finish(last)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    rss_mb = rss * (1 if sys.platform == "darwin" else 1024) / 1e6
    print(json.dumps({"t_import": t_import, "t_first": t_first, "t_second": t_second or t_first, "loss": loss,
                      "rss_mb": rss_mb}))


FIRST_CALL = ", compiled at the first call"  # the case-name suffix of the runs with background_compile off


def run_child(framework, threads, steps, cache_dir=None, pinned=True, background=True):
    """Spawn one child; returns {'first_s', 'second_s', 'import_s', 'rss_mb'} (times measured from the spawn).
    ``background=False``: minispore compiles every kernel at the first call (MINISPORE_BACKGROUND_COMPILE=0)
    instead of running the first step on the reference executor while they compile."""
    env = dict(os.environ, **thread_env(threads), MINISPORE_BACKGROUND_COMPILE="1" if background else "0")
    env.pop("NUMBA_CACHE_DIR", None)
    cmd = [sys.executable, os.path.abspath(__file__), "--child", framework, "--threads", str(threads),
           "--steps", str(steps)] + ([] if pinned else ["--no-pin"])
    if cache_dir:
        cmd += ["--cache-dir", cache_dir]
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode:
        raise RuntimeError(f"{framework} startup child failed:\n{r.stderr[-3000:]}")
    got = json.loads(r.stdout.strip().splitlines()[-1])
    return {"first_s": got["t_first"] - t0, "second_s": got["t_second"] - t0, "import_s": got["t_import"] - t0,
            "rss_mb": got["rss_mb"]}


def installed(framework):
    import importlib.util

    names = {"minispore": ["minispore"], "torch": ["torch"], "jax": ["jax", "jaxlib", "optax"]}[framework]
    return all(importlib.util.find_spec(n) is not None for n in names)


def measure(threads=1, repeats=3, steps=50, frameworks=("minispore", "torch", "jax"), log=print, pinned=True):
    """Medians over ``repeats``: {case: {'first_s', 'second_s', 'import_s', 'rss_mb'}} with cases
    'minispore cold', 'minispore warm', 'minispore cold, compiled at the first call' (the same, all kernels compiled
    before the first step: background_compile off), 'minispore warm, compiled at the first call', 'torch', 'jax'
    (those installed); failures as {'error': msg}."""
    samples, errors = {}, {}

    def record(case, fn):
        if case in errors:
            return
        try:
            samples.setdefault(case, []).append(fn())
        except Exception as e:  # a broken framework must not take the others down
            errors[case] = str(e).strip().splitlines()[-1][:300]
            log(f"  {case}: {e}")

    for i in range(repeats):
        log(f"  startup repeat {i + 1}/{repeats}")
        if "minispore" in frameworks and installed("minispore"):
            for background, suffix in ((True, ""), (False, FIRST_CALL)):
                cache = tempfile.mkdtemp(prefix="minispore-startup-")
                try:
                    for case in ("cold", "warm"):
                        record(f"minispore {case}{suffix}", lambda cache=cache, b=background: run_child(
                            "minispore", threads, steps, cache, pinned, b))
                finally:
                    shutil.rmtree(cache, ignore_errors=True)
        for fw in ("torch", "jax"):
            if fw in frameworks and installed(fw):
                record(fw, lambda fw=fw: run_child(fw, threads, steps, pinned=pinned))
    out = {case: {"error": msg} for case, msg in errors.items()}
    for case, runs in samples.items():
        if case not in errors:
            out[case] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=50, help="steps after the first, before reading peak RSS")
    ap.add_argument("--no-pin", action="store_true", help="do not restrict each process to --threads CPUs")
    ap.add_argument("--child", choices=["minispore", "torch", "jax"], help=argparse.SUPPRESS)
    ap.add_argument("--cache-dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.cache_dir, args.threads, args.steps, not args.no_pin)
        return
    res = measure(args.threads, args.repeats, args.steps, pinned=not args.no_pin)
    print(f"\nmedian of {args.repeats}, {args.threads} thread(s)")
    print("| case | spawn -> imports done (s) | spawn -> end of first step (s) | spawn -> end of second step (s) "
          "| peak RSS (MB) |")
    print("|---|---|---|---|---|")
    for case, r in res.items():
        if "error" in r:
            print(f"| {case} | failed: {r['error']} | | | |")
        else:
            print(f"| {case} | {r['import_s']:.2f} | {r['first_s']:.2f} | {r['second_s']:.2f} | {r['rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
