"""Interleaved A/B of two minispore checkouts (and PyTorch/JAX) on the suite's workloads, in CPU time.

    python benchmarks/ab.py --base /path/holding/a/minispore/checkout [--only B,C] [--rounds 9] [--threads 1]

``--base`` is a folder whose ``minispore`` subfolder is the other checkout (e.g. ``git archive HEAD~2 | tar -x
-C /tmp/base/minispore``); this checkout is "new". Every column runs in suite.py's worker process (pinned, same
thread settings), the order rotating each round. Why CPU time beside wall time: on a shared machine a worker
waits for a core for a varying share of each round (suite.py's CPU/wall line), which wall time counts and CPU
time does not; the caches are still shared, so CPU time is inflated too, but far less noisily. The medians
over rounds of both are printed as a markdown table.
"""

import argparse
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import suite  # noqa: E402
import workloads  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="folder holding the other checkout as minispore/")
    ap.add_argument("--only", default="B,C")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--frameworks", default="base,new,torch,jax")
    args = ap.parse_args()
    paths = {"base": os.path.abspath(args.base), "new": os.path.dirname(os.path.dirname(HERE))}
    workers = {}
    for fw in args.frameworks.split(","):
        os.environ["PYTHONPATH"] = paths.get(fw, paths["new"])  # (read by the worker at its start)
        w = suite.Worker("minispore" if fw in paths else fw, args.threads, True)
        if "error" not in w.ask("hello"):
            workers[fw] = w
    print("| workload | " + " | ".join(f"{fw} wall / CPU (ms)" for fw in workers) + " |")
    print("|---|" + "---|" * len(workers))
    for name in args.only.split(","):
        steps = workloads.WORKLOADS[name]["steps"]
        for w in workers.values():
            w.ask("build", name=name, warmup=5)
        wall, cpu, order = {fw: [] for fw in workers}, {fw: [] for fw in workers}, list(workers)
        for k in range(args.rounds):
            for fw in order[k % len(order):] + order[:k % len(order)]:
                r = workers[fw].ask("time", name=name, steps=steps)
                wall[fw].append(r["s"])
                cpu[fw].append(r["s"] * r["cpu"])
        cells = [f"{statistics.median(wall[fw]) * 1e3:.2f} / {statistics.median(cpu[fw]) * 1e3:.2f}" for fw in workers]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
        for w in workers.values():
            w.ask("drop", name=name)
    for w in workers.values():
        w.close()


if __name__ == "__main__":
    main()
