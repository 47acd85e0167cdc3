"""minispore's benchmark suite: the workloads of workloads.py in minispore, PyTorch eager and JAX jit,
plus start-up time and peak memory (startup.py), as one markdown report with issue 4's targets.

    python benchmarks/suite.py [--threads 1] [--rounds 5] [--steps N] [--only A,B,C,D,S] [--quick]

Each framework runs in its own long-lived worker process (so one framework's thread pools, allocator
and BLAS cannot disturb another's, and a crash loses only that column). All workers get the same
thread settings in their environment before anything is imported (startup.thread_env). Per workload:
every worker builds it and runs warm-up steps (compilation, caches, allocator), then ``--rounds``
rounds, each timing ``--steps`` consecutive steps in every framework in turn (the order rotates per
round); the table gives the median over rounds of the mean step time. Frameworks that are not
installed are left out.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import startup  # noqa: E402  (standard library only: safe before the thread settings)

TARGETS = {  # issues 4 and 15: minispore's median step over the reference's
    "A": "<= 0.5x PyTorch eager and < JAX jit",
    "B": "<= 0.9x the faster of PyTorch/JAX",
    "C": "<= 1.0x the faster of PyTorch/JAX",
    "D": "<= 1.0x PyTorch fused Adam",
    "E": "<= 1.25x minispore's C (O0) step; arena <= 0.6x C's",
}
START_TARGETS = {"cold": 3.0, "warm": 0.5, "rss": 250.0}  # issue 15 (issue 4's were 5 s, 1 s, 300 MB)


# ------------------------------------------------------------------------------------- worker side
def serve(framework, threads, pinned):
    """Worker loop: one JSON request per stdin line, one JSON reply per line on the original stdout
    (fd 1 is pointed at stderr so that prints and warnings from the libraries cannot corrupt replies)."""
    cpus = startup.pin(threads) if pinned else None  # before any library starts its threads
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    built = {}
    for line in sys.stdin:
        req = json.loads(line)
        try:
            reply = handle(framework, threads, built, req)
            if req["cmd"] == "hello":
                reply["cpus"] = cpus
        except Exception as e:
            reply = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()[-3000:]}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
        if req["cmd"] == "quit":
            return


def handle(framework, threads, built, req):
    import workloads

    cmd = req["cmd"]
    if cmd == "hello":
        if framework == "torch":
            import torch

            torch.set_num_threads(threads)
        return {"versions": workloads.versions(framework)}
    if cmd == "build":
        t0 = time.perf_counter()
        step, finish = built[req["name"]] = workloads.build(framework, req["name"])
        loss = finish(step())
        first = time.perf_counter() - t0
        for _ in range(req["warmup"]):
            last = step()
        finish(last)
        return {"first_s": first, "loss": loss, "info": dict(workloads.INFO)}
    if cmd == "time":
        step, finish = built[req["name"]]
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(req["steps"]):
            last = step()
        loss = finish(last)
        wall = time.perf_counter() - t0
        return {"s": wall / req["steps"], "cpu": (time.process_time() - c0) / wall, "loss": loss}
    if cmd == "drop":
        built.pop(req["name"], None)
        import gc

        gc.collect()
        return {}
    if cmd == "gemm":
        return gemm_rates(req["n"], req["reps"])
    if cmd == "quit":
        return {}
    raise ValueError(f"unknown request {cmd!r}")


def gemm_rates(n, reps):
    """GFLOP/s of an n x n x n float32 GEMM through numpy (np.matmul) and through scipy's BLAS (the
    library numba's np.dot, hence minispore's MatMul kernels, calls): median of ``reps``."""
    import numpy as np
    from scipy.linalg import blas

    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    c = np.empty((n, n), np.float32)
    out = {}
    for name, fn in (("numpy", lambda: np.matmul(a, b, out=c)), ("scipy", lambda: blas.sgemm(1.0, a, b))):
        fn()
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        out[name] = 2 * n**3 / statistics.median(times) / 1e9
    return out


# ------------------------------------------------------------------------------------- parent side
class Worker:
    def __init__(self, framework, threads, pinned):
        self.framework = framework
        self.log = tempfile.TemporaryFile("w+")
        env = dict(os.environ, **startup.thread_env(threads))
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker", framework,
                                      "--threads", str(threads)] + ([] if pinned else ["--no-pin"]),
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)

    def ask(self, cmd, **kw):
        """Send one request; returns the reply, or {'error': ...} if the worker failed or died."""
        try:
            self.proc.stdin.write(json.dumps(dict(cmd=cmd, **kw)) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError) as e:
            line, err = "", e
        else:
            err = "worker exited"
        if not line:
            self.log.seek(0)
            return {"error": f"{err}; stderr tail: {self.log.read()[-1500:]}"}
        return json.loads(line)

    def close(self):
        if self.proc.poll() is None:
            self.ask("quit")
            self.proc.wait(timeout=30)


def machine(versions):
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    libs = ", ".join(f"{k} {v}" for vs in versions.values() for k, v in vs.items())
    return (f"{cpu}, {os.cpu_count()} logical cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}; {libs}")


def fmt_ms(s):
    return "—" if s is None else f"{s * 1e3:.2f}"


def run_workload(name, spec, workers, args, log):
    """{framework: {'median': s, 'spread': (min, max)} or {'error': msg}}."""
    steps = args.steps or (max(2, spec["steps"] // 10) if args.quick else spec["steps"])
    warmup = 2 if args.quick else max(5, steps // 4)
    res, live = {}, []
    for fw, w in workers.items():
        if spec.get("amp") and fw != "minispore":
            continue  # minispore's precision levels, measured against its own float32 step (C)
        r = w.ask("build", name=name, warmup=warmup)
        if "error" in r:
            res[fw] = {"error": r["error"]}
            log(f"  {fw}: build failed: {r['error']}\n{r.get('trace', '')}")
        else:
            res[fw] = {"first_s": r["first_s"], "info": r["info"], "samples": [], "cpu": []}
            live.append(fw)
    for i in range(args.rounds):
        order = live[i % len(live):] + live[:i % len(live)] if live else []
        for fw in order:
            if "error" in res[fw]:
                continue
            r = workers[fw].ask("time", name=name, steps=steps)
            if "error" in r:
                res[fw] = {"error": r["error"]}
                log(f"  {fw}: failed: {r['error']}")
            else:
                res[fw]["samples"].append(r["s"])
                res[fw]["cpu"].append(r["cpu"])
        log(f"  {name} round {i + 1}/{args.rounds}: " + ", ".join(
            f"{fw} {fmt_ms(res[fw]['samples'][-1])} ms" for fw in live if "error" not in res[fw]))
    for fw in live:
        workers[fw].ask("drop", name=name)
        if "error" not in res[fw]:
            s = res[fw]["samples"]
            res[fw].update(median=statistics.median(s), spread=(min(s), max(s)), steps=steps,
                           cpu_per_wall=statistics.median(res[fw]["cpu"]))
    return res


def verdict(name, med):
    """(ratio text, PASS/MISS/n/a) for workload ``name`` from the framework medians."""
    ms, th, jx = med.get("minispore"), med.get("torch"), med.get("jax")
    others = [v for v in (th, jx) if v is not None]
    ratio = f"{ms / min(others):.3f}" if ms and others else "—"
    if ms is None:
        return ratio, "n/a"
    if name == "A":
        ok = None if th is None or jx is None else (ms <= 0.5 * th and ms < jx)
    elif name in ("B", "C"):
        ok = None if not others else ms <= (0.9 if name == "B" else 1.0) * min(others)
    else:
        ok = None if th is None else ms <= th
    return ratio, "n/a (reference missing)" if ok is None else ("PASS" if ok else "MISS")


def amp_verdict(results):
    """(ratio text, PASS/MISS/n/a) of E (O2) against C (O0): step time and arena, both minispore's."""
    o0, o2 = results.get("C", {}).get("minispore", {}), results.get("E", {}).get("minispore", {})
    if "median" not in o0 or "median" not in o2:
        return "—", "n/a (C and E both needed)"
    step = o2["median"] / o0["median"]
    arena = o2["info"].get("arena MiB", 0) / max(o0["info"].get("arena MiB", 0), 1e-9)
    ok = step <= 1.25 and arena <= 0.6
    return f"step {step:.2f}x, arena {arena:.2f}x of C", "PASS" if ok else "MISS"


def step_table(results, frameworks, extra):
    import workloads

    names = [workloads.LABELS[f] for f in frameworks]
    lines = ["| workload | " + " | ".join(f"{n} (ms)" for n in names)
             + " | minispore / best other | target | result | notes |",
             "|---|" + "---|" * len(names) + "---|---|---|---|"]
    for name, res in results.items():
        med = {fw: r["median"] for fw, r in res.items() if "median" in r}
        cells = []
        for fw in frameworks:
            r = res.get(fw, {})
            if "median" in r:
                lo, hi = r["spread"]
                cells.append(f"{fmt_ms(r['median'])} ({fmt_ms(lo)}–{fmt_ms(hi)})")
            else:
                cells.append("failed" if "error" in r else "—")
        ratio, result = amp_verdict(results) if name == "E" else verdict(name, med)
        lines.append(f"| {name}: {workloads.WORKLOADS[name]['title']} | " + " | ".join(cells)
                     + f" | {ratio} | {TARGETS[name]} | {result} | {extra.get(name, '')} |")
    return lines


def throughput_notes(results, gemm):
    import workloads

    notes = {}
    c = results.get("C", {}).get("minispore", {})
    if "median" in c:
        rate = workloads.mlp_flops(workloads.WORKLOADS["C"]["batch"]) / c["median"] / 1e9
        ref = (f"; 2048³ float32 GEMM: numpy {gemm['numpy']:.1f}, scipy BLAS {gemm['scipy']:.1f} GFLOP/s"
               if gemm and "error" not in gemm else "")
        notes["C"] = f"minispore {rate:.1f} GFLOP/s{ref}"
    d = results.get("D", {})
    rates = [f"{workloads.LABELS[fw]} {workloads.adam_bytes() / r['median'] / 1e9:.1f}"
             for fw, r in d.items() if "median" in r]
    if rates:
        adam = d.get("torch", {}).get("info", {}).get("torch Adam", "")
        notes["D"] = "GB/s moved: " + ", ".join(rates) + (f"; torch Adam {adam}" if adam else "")
    for name in ("B", "C"):
        adam = results.get(name, {}).get("torch", {}).get("info", {}).get("torch Adam")
        if adam:
            notes[name] = "; ".join(filter(None, [notes.get(name), f"torch Adam {adam}"]))
    for name in ("C", "E"):
        arena = results.get(name, {}).get("minispore", {}).get("info", {}).get("arena MiB")
        if arena is not None:
            notes[name] = (notes.get(name, "") + "; " if notes.get(name) else "") + f"minispore arena {arena} MiB"
    return notes


def cpu_lines(results, threads):
    """Process CPU time over wall time while timing, per workload and framework: about 1.0 per busy
    thread. Below ~0.85 the process was waiting for a core (another load on the machine: the times are
    inflated); above ``threads`` it ran more threads than asked."""
    import workloads

    lines, busy, over = [], False, []
    for name, res in results.items():
        parts = []
        for fw, r in res.items():
            if "cpu_per_wall" in r:
                c = r["cpu_per_wall"]
                parts.append(f"{workloads.LABELS[fw]} {c:.2f}")
                busy |= c < 0.85
                if c > threads * 1.15:
                    over.append(f"{name}/{workloads.LABELS[fw]}")
        lines.append(f"{name}: {', '.join(parts)}")
    out = ["CPU time / wall time while timing (≈ 1 per busy thread): " + "; ".join(lines) + "."]
    if busy:
        out.append("**Warning:** some processes got less than 0.85 of a core: the machine was busy, "
                   "the times above are inflated and noisy.")
    if over:
        out.append(f"**Note:** more than {threads} thread(s) busy in {', '.join(over)}.")
    return out


def startup_table(st):
    def get(case, key):
        r = st.get(case)
        if r is None:
            return "—"
        return "failed" if "error" in r else (f"{r[key]:.0f}" if key == "rss_mb" else f"{r[key]:.2f}")

    def res(case, key, limit):
        r = st.get(case)
        return "n/a" if r is None or "error" in r else ("PASS" if r[key] < limit else "MISS")

    lines = ["| measure | minispore | PyTorch eager | JAX jit | target | result |", "|---|---|---|---|---|---|",
             f"| spawn -> end of first LeNet-5 step, cold cache (s) | {get('minispore cold', 'first_s')} | "
             f"{get('torch', 'first_s')} | {get('jax', 'first_s')} | < {START_TARGETS['cold']:.0f} s | "
             f"{res('minispore cold', 'first_s', START_TARGETS['cold'])} |",
             f"| spawn -> end of first LeNet-5 step, warm cache (s) | {get('minispore warm', 'first_s')} | "
             f"{get('torch', 'first_s')} | {get('jax', 'first_s')} | < {START_TARGETS['warm']:.1f} s | "
             f"{res('minispore warm', 'first_s', START_TARGETS['warm'])} |",
             f"| of which interpreter + imports (s) | {get('minispore warm', 'import_s')} | "
             f"{get('torch', 'import_s')} | {get('jax', 'import_s')} | | |",
             f"| spawn -> end of second step, cold / warm (s) | {get('minispore cold', 'second_s')} / "
             f"{get('minispore warm', 'second_s')} | {get('torch', 'second_s')} | {get('jax', 'second_s')} | | |",
             f"| the same with every kernel compiled at the first call (background_compile=False): first step "
             f"cold / warm (s) | {get('minispore cold' + startup.FIRST_CALL, 'first_s')} / "
             f"{get('minispore warm' + startup.FIRST_CALL, 'first_s')} "
             f"| | | | |",
             f"| peak RSS of the LeNet-5 run (MB) | {get('minispore warm', 'rss_mb')} "
             f"(cold {get('minispore cold', 'rss_mb')}) | {get('torch', 'rss_mb')} | {get('jax', 'rss_mb')} | "
             f"< {START_TARGETS['rss']:.0f} MB | {res('minispore warm', 'rss_mb', START_TARGETS['rss'])} |"]
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="threads for every framework (default 1)")
    ap.add_argument("--rounds", type=int, default=None, help="timed rounds per workload (default 5; 2 with --quick)")
    ap.add_argument("--steps", type=int, default=None, help="steps per round (default: per workload)")
    ap.add_argument("--only", default="A,B,C,D,S", help="comma-separated subset of A,B,C,D,S (S = start-up)")
    ap.add_argument("--quick", action="store_true", help="few steps and rounds: a smoke run, not a measurement")
    ap.add_argument("--frameworks", default="minispore,torch,jax", help="comma-separated subset")
    ap.add_argument("--no-pin", action="store_true",
                    help="do not restrict each framework's process to --threads CPUs (sched_setaffinity)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    os.environ.update(startup.thread_env(args.threads))  # before anything imports numpy, torch or jax
    if args.worker:
        serve(args.worker, args.threads, not args.no_pin)
        return
    import workloads

    only = [s.strip().upper() for s in args.only.split(",") if s.strip()]
    bad = sorted(set(only) - set(workloads.WORKLOADS) - {"S"})
    if bad:
        ap.error(f"--only: unknown workload(s) {bad}; choose from A, B, C, D, S")
    args.rounds = args.rounds or (2 if args.quick else 5)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    wanted = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    frameworks = [f for f in workloads.FRAMEWORKS if f in wanted and startup.installed(f)]
    missing = [workloads.LABELS[f] for f in workloads.FRAMEWORKS if f in wanted and f not in frameworks]
    workers, versions, cpus = {}, {}, None
    for fw in frameworks:
        w = Worker(fw, args.threads, not args.no_pin)
        r = w.ask("hello")
        if "error" in r:
            log(f"{fw}: cannot start: {r['error']}")
            w.close()
        else:
            workers[fw], versions[fw], cpus = w, r["versions"], r["cpus"]
    frameworks = list(workers)
    results, gemm = {}, None
    try:
        for name in (n for n in workloads.WORKLOADS if n in only):
            log(f"workload {name}: {workloads.WORKLOADS[name]['title']}")
            results[name] = run_workload(name, workloads.WORKLOADS[name], workers, args, log)
        if "C" in only and "minispore" in workers:
            gemm = workers["minispore"].ask("gemm", n=2048, reps=3 if args.quick else 5)
    finally:
        for w in workers.values():
            w.close()
    st = None
    if "S" in only:
        log("start-up: fresh processes")
        st = startup.measure(args.threads, repeats=1 if args.quick else 3, steps=5 if args.quick else 50,
                             frameworks=frameworks or ("minispore",), log=log, pinned=not args.no_pin)

    print(f"\n**Machine:** {machine(versions)}\n")
    pinning = f", each process pinned to CPU(s) {cpus}" if cpus else ", processes not pinned"
    print(f"Threads: {args.threads} per framework{pinning}; {args.rounds} rounds"
          + (" (--quick: smoke run, not a measurement)" if args.quick else "")
          + (f"; not installed: {', '.join(missing)}" if missing else "") + "\n")
    if results:
        print("Median step time over rounds (min–max across rounds in brackets); lower is better.\n")
        print("\n".join(step_table(results, frameworks, throughput_notes(results, gemm))))
        print("\n" + "\n".join(cpu_lines(results, args.threads)))
    if st is not None:
        print(f"\nStart-up (fresh processes, median of {1 if args.quick else 3}):\n")
        print("\n".join(startup_table(st)))


if __name__ == "__main__":
    main()
