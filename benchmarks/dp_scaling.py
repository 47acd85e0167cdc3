"""Data-parallel scaling: step time and throughput of one global batch split over 1..N MPI ranks.

    python benchmarks/dp_scaling.py [--ranks 1,2] [--global-batch 256] [--steps 60] [--hidden 1024]

For each rank count the script launches itself as ``mpiexec -n R python dp_scaling.py --worker ...``. Every
rank trains an MLP (784 -> hidden -> hidden -> 10, Momentum, ``gradients_mean=True``) on global_batch / R rows
per step; after 10 warm-up steps it times ``--steps`` steps (median per-step wall time of rank 0) and, on the
same ranks, mpi4py's raw blocking ``Allreduce`` of the gradients' bytes (all at once, and in the step's buckets,
``--bucket-mb`` each), against the time the step itself spends inside its non-blocking all-reduce calls
(``MPI_Iallreduce`` launches + waits: the exposed communication); the fraction overlapped with backward is
1 - exposed / bucketed blocking time. It reports samples/s, the speed-up over 1 rank and the parallel efficiency
(speed-up / R). Each rank gets one BLAS/OpenMP thread, so R ranks use R cores: on a machine with C cores,
R > C measures oversubscription, not scaling. Timings are never asserted anywhere.
"""

import argparse
import json
import os
import subprocess
import sys
import time

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def worker(args):
    import numpy as np  # noqa: PLC0415  (after the thread variables are set)
    from mpi4py import MPI  # noqa: PLC0415

    import minispore as ms  # noqa: PLC0415
    from minispore import nn  # noqa: PLC0415
    from minispore.communication import get_group_size, get_rank, init  # noqa: PLC0415

    init()
    rank, size = get_rank(), get_group_size()
    ms.set_auto_parallel_context(parallel_mode="data_parallel", gradients_mean=True,
                                 comm_fusion={"allreduce": {"mode": "size", "config": args.bucket_mb}})
    ms.set_seed(0)
    h = args.hidden
    net = nn.SequentialCell([nn.Dense(784, h), nn.ReLU(), nn.Dense(h, h), nn.ReLU(), nn.Dense(h, 10)])
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")),
                               nn.Momentum(net.trainable_params(), 0.01, 0.9))
    rows = args.global_batch // size
    rng = np.random.default_rng(rank)
    x = ms.Tensor(rng.standard_normal((rows, 784)).astype(np.float32))
    y = ms.Tensor(rng.integers(0, 10, rows).astype(np.int32))
    for _ in range(10):
        step(x, y)
    from minispore.graph.session import SESSION  # noqa: PLC0415

    world = SESSION.communicator
    if world is not None:
        world.stats.update(start_s=0.0, wait_s=0.0)
    times = []
    for _ in range(args.steps):
        MPI.COMM_WORLD.Barrier()
        t = time.perf_counter()
        step(x, y).asnumpy()
        times.append(time.perf_counter() - t)
    exposed = 0.0 if world is None else (world.stats["start_s"] + world.stats["wait_s"]) / args.steps
    sizes = [sum(step.weights[i].size for i in b) for b in step.grad_reducer.buckets]
    per_bucket = []  # blocking all-reduce of the same buckets, one after another: the time overlap can hide
    for _ in range(10):
        bufs = [np.zeros(n, np.float32) for n in sizes]
        MPI.COMM_WORLD.Barrier()
        t = time.perf_counter()
        for b in bufs:
            MPI.COMM_WORLD.Allreduce(MPI.IN_PLACE, b, op=MPI.SUM)
        per_bucket.append(time.perf_counter() - t)
    grads = np.zeros(sum(p.size for p in net.trainable_params()), np.float32)
    comm = []
    for _ in range(10):
        MPI.COMM_WORLD.Barrier()
        t = time.perf_counter()
        MPI.COMM_WORLD.Allreduce(MPI.IN_PLACE, grads, op=MPI.SUM)
        comm.append(time.perf_counter() - t)
    if rank == 0:
        print("RESULT " + json.dumps({"ranks": size, "step_s": float(np.median(times)),
                                      "allreduce_s": float(np.median(comm)), "grad_mb": grads.nbytes / 1e6,
                                      "buckets": len(sizes), "bucket_s": float(np.median(per_bucket)),
                                      "exposed_s": exposed}))


def run(ranks, args):
    env = dict(os.environ, **{v: "1" for v in THREAD_VARS})
    cmd = ["mpiexec", "-n", str(ranks), sys.executable, os.path.abspath(__file__), "--worker",
           "--global-batch", str(args.global_batch), "--steps", str(args.steps), "--hidden", str(args.hidden),
           "--bucket-mb", str(args.bucket_mb)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{' '.join(cmd)} failed (rc {out.returncode}):\n{out.stderr[-3000:]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ranks", default="1,2")
    ap.add_argument("--global-batch", type=int, default=256)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--bucket-mb", type=float, default=4.0, help="comm_fusion size per gradient bucket")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    results = [run(int(r), args) for r in args.ranks.split(",")]
    base, first = results[0]["step_s"], results[0]["ranks"]  # speed-up over the first rank count (1 by default)
    print(f"global batch {args.global_batch}, MLP 784-{args.hidden}-{args.hidden}-10, "
          f"{results[0]['grad_mb']:.1f} MB of float32 gradients, {os.cpu_count()} CPUs\n")
    print("| ranks | step (ms) | raw Allreduce (ms) | buckets | bucket Allreduces (ms) | in-step exposed (ms) | "
          "overlapped | samples/s | speed-up | efficiency |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        speedup = base / r["step_s"] * first
        hidden = max(0.0, 1 - r["exposed_s"] / r["bucket_s"]) if r["ranks"] > 1 and r["bucket_s"] > 0 else 0.0
        print(f"| {r['ranks']} | {r['step_s'] * 1e3:.2f} | {r['allreduce_s'] * 1e3:.2f} | {r['buckets']} | "
              f"{r['bucket_s'] * 1e3:.2f} | {r['exposed_s'] * 1e3:.2f} | {hidden:.0%} | "
              f"{args.global_batch / r['step_s']:.0f} | {speedup:.2f} | {speedup / r['ranks']:.2f} |")
    print("\nraw Allreduce: mpi4py's blocking Allreduce of all the gradients' bytes at once; bucket Allreduces: "
          "the same bytes in the step's buckets, blocking, one after another; in-step exposed: the time the step "
          "spends inside its non-blocking all-reduce calls (Iallreduce launches + waits), per step; overlapped: "
          "1 - exposed / bucket Allreduces (the share of the communication hidden behind backward)")
    print(f"\nspeed-up: samples/s over {first} rank(s)'s, times {first}; efficiency: speed-up / ranks")


if __name__ == "__main__":
    main()
