"""Workloads A-D of workloads.py on a CUDA GPU: minispore's GPU target (device_target="GPU") against
PyTorch eager CUDA and ``torch.compile`` (each when installed), with issue 13's targets.

    python benchmarks/gpu_suite.py [--rounds 7] [--steps N] [--only A,B,C,D] [--frameworks ...] [--quick]

Everything runs in one process on one device (numba and PyTorch share the device's primary context).
Per workload each framework builds it and runs warm-up steps (numba/torch.compile compilation, cuBLAS
heuristics, allocators), then ``--rounds`` rounds; in each round every framework times ``--steps``
consecutive steps, one after another, the order rotated per round (A/B/A/B). A round's time is
measured with CUDA events around the steps, after synchronising the device: torch.cuda.Event for
PyTorch, numba's ``cuda.event`` (recorded on stream 0, the stream minispore launches on) for
minispore. Events span the host's launch work too (the end event is recorded after the last step was
issued), so a host-bound framework is not flattered. The table gives the median over rounds of the
mean step time. Without a CUDA device it prints one line and exits with status 1.

Inputs: PyTorch's batches and gradients are on the device; minispore's step copies its batch in (the
GPU target keeps parameters and optimizer state on the device from bind on, batches come from the host).
"""

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

TARGETS = {  # issue 13, on an H100/H200: minispore's median step over PyTorch eager's
    "A": ("< 1.0x PyTorch eager", 1.0, False),
    "B": ("< 1.0x PyTorch eager", 1.0, False),
    "C": ("<= 1.5x PyTorch eager (cuBLAS-bound)", 1.5, True),
    "D": ("<= 1.0x torch Adam(fused=True)", 1.0, True),
}
FRAMEWORKS = ("minispore", "torch", "torch.compile")
LABELS = {"minispore": "minispore GPU", "torch": "PyTorch eager", "torch.compile": "torch.compile"}
DEFAULT_STEPS = {"A": 200, "B": 200, "C": 50, "D": 100}


# ------------------------------------------------------------------------------ pure helpers
def schedule(frameworks, rounds):
    """Framework order per round: rotated by one each round, so none always runs first."""
    fw = list(frameworks)
    return [fw[r % len(fw):] + fw[:r % len(fw)] for r in range(rounds)] if fw else [[] for _ in range(rounds)]


def verdict(name, ms, ref):
    """PASS/MISS of workload ``name``'s target (n/a without both numbers)."""
    if ms is None or ref is None:
        return "n/a"
    _, bound, inclusive = TARGETS[name]
    ratio = ms / ref
    return "PASS" if (ratio <= bound if inclusive else ratio < bound) else "MISS"


def _cell(times):
    if not times:
        return "—"
    return f"{statistics.median(times):.3f} ({min(times):.3f}–{max(times):.3f})"


def format_table(device, lines, results, titles, notes):
    """Markdown report. ``results[name][framework]`` is a list of per-round mean step times in ms (or
    a string: why it did not run)."""
    out = [f"**Device:** {device}", ""] + [f"{ln}  " for ln in lines] + [""]
    out.append("Median step time over rounds in ms (min–max across rounds); lower is better.")
    out.append("")
    head = ["workload"] + [f"{LABELS[f]} (ms)" for f in FRAMEWORKS] + [
        "minispore / eager", "minispore / compile", "target", "result", "notes"]
    out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, per in results.items():
        med = {f: statistics.median(v) for f, v in per.items() if isinstance(v, list) and v}
        ms = med.get("minispore")
        ratios = [f"{ms / med[r]:.3f}" if ms is not None and r in med else "—" for r in ("torch", "torch.compile")]
        cells = [_cell(per[f]) if isinstance(per.get(f), list) else "—" for f in FRAMEWORKS]
        errors = [f"{LABELS[f]}: {per[f]}" for f in FRAMEWORKS if isinstance(per.get(f), str)]
        note = "; ".join(notes.get(name, []) + errors)
        out.append("| " + " | ".join([f"{name}: {titles[name]}", *cells, *ratios,
                                      TARGETS[name][0], verdict(name, ms, med.get("torch")), note]) + " |")
    return "\n".join(out)


# ------------------------------------------------------------------------------ device side
def no_device_reason():
    """None when a CUDA device is usable, else why not (one line)."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return "NUMBA_ENABLE_CUDASIM=1 (numba's simulator has no timings)"
    try:
        from numba import cuda
    except ImportError as e:
        return f"numba-cuda is not installed ({e})"
    if not cuda.is_available():
        return "numba.cuda.is_available() is False"
    return None


def _minispore(spec):
    """workloads.py's minispore workload on device_target="GPU"; (step, finish)."""
    import workloads

    return workloads.minispore_workload(spec, None, "GPU")


def _torch(spec, compiled, notes):
    """workloads.py's PyTorch workload on CUDA (fused Adam), eager or under torch.compile."""
    import numpy as np
    import torch
    import workloads
    from torch import nn as tnn

    dev = torch.device("cuda")
    if spec["kind"] == "adam":
        params = [torch.zeros(workloads.ADAM_SIZE, device=dev, requires_grad=True)
                  for _ in range(workloads.ADAM_TENSORS)]
        for p, g in zip(params, workloads.adam_grads()):
            p.grad = torch.from_numpy(g).to(dev)
        # eager: the reference, Adam(fused=True); compiled: the compiled optimizer (foreach kernels
        # fused by inductor), torch's documented way to compile an optimizer step
        opt = torch.optim.Adam(params, lr=1e-3, fused=not compiled, foreach=compiled or None)
        step = torch.compile(opt.step) if compiled else opt.step
        notes.append("torch.compile(Adam(foreach=True).step)" if compiled else "torch Adam fused=True")
        return step, (lambda _: params[0].detach()[0].item())
    if spec["kind"] == "lenet":
        net = workloads._torch_lenet().to(dev)
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    else:
        layers = []
        for k, n in zip(workloads.MLP_SIZES[:-1], workloads.MLP_SIZES[1:]):
            layers += [tnn.Linear(k, n), tnn.ReLU()]
        net = tnn.Sequential(*layers[:-1]).to(dev)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, fused=True)
    model = torch.compile(net) if compiled else net
    loss_fn = tnn.CrossEntropyLoss()
    x, y = workloads.make_data(spec["kind"], spec["batch"])
    tx, ty = torch.from_numpy(x).to(dev), torch.from_numpy(y.astype(np.int64)).to(dev)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(tx), ty)
        loss.backward()
        opt.step()
        return loss

    return step, (lambda loss_: loss_.item())


class Timer:
    """CUDA-event timing of ``n`` calls of ``step`` in one framework (ms per step)."""

    def __init__(self, framework):
        self.framework = framework

    def __call__(self, step, finish, n):
        if self.framework == "minispore":
            from numba import cuda

            cuda.synchronize()
            start, end = cuda.event(), cuda.event()  # (timing=True is the default)
            start.record()  # stream 0: the stream minispore's kernels and cuBLAS calls go to
            for _ in range(n):
                last = step()
            end.record()
            end.synchronize()
            ms = start.elapsed_time(end)
        else:
            import torch

            torch.cuda.synchronize()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(n):
                last = step()
            end.record()
            end.synchronize()
            ms = start.elapsed_time(end)
        finish(last)  # the value is read (and so finished) outside the timed span
        return ms / n


def _versions():
    out = []
    for mod in ("numba_cuda", "nvmath", "torch"):
        try:
            m = __import__(mod)
            out.append(f"{mod} {getattr(m, '__version__', '?')}")
        except ImportError:
            pass
    return ", ".join(out)


def run(args):
    import workloads
    from numba import cuda

    from minispore.backends.cuda import cublas

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    has_torch_cuda = False
    try:
        import torch

        has_torch_cuda = torch.cuda.is_available()
    except ImportError:
        pass
    frameworks = [f for f in args.frameworks.split(",") if f == "minispore" or has_torch_cuda]
    results, titles, notes = {}, {}, {}
    for name in args.only.split(","):
        spec = dict(workloads.WORKLOADS[name])
        titles[name] = spec["title"]
        steps = max(1, (args.steps or DEFAULT_STEPS[name]) // (10 if args.quick else 1))
        built, per, notes[name] = {}, {}, []
        for fw in frameworks:
            log(f"[{name}] building {fw}")
            try:
                t0 = time.perf_counter()
                step, finish = _minispore(spec) if fw == "minispore" else _torch(spec, fw == "torch.compile",
                                                                                notes[name])
                finish(step())
                for _ in range(args.warmup or max(5, steps // 4)):
                    last = step()
                finish(last)
                built[fw] = (step, finish)
                per[fw] = []
                log(f"[{name}] {fw}: first step + warm-up {time.perf_counter() - t0:.1f} s")
            except Exception as e:  # a framework that fails loses its column only
                per[fw] = f"{type(e).__name__}: {str(e)[:200]}"
                log(f"[{name}] {fw} failed: {per[fw]}")
        for r, order in enumerate(schedule(list(built), args.rounds)):
            for fw in order:
                per[fw].append(Timer(fw)(*built[fw], steps))
            log(f"[{name}] round {r + 1}/{args.rounds}: " + ", ".join(f"{fw} {per[fw][-1]:.3f} ms" for fw in order))
        if name == "D":  # achieved memory traffic (Adam moves 7 float32 per element)
            gbs = {fw: workloads.adam_bytes() / statistics.median(v) / 1e6 for fw, v in per.items()
                   if isinstance(v, list) and v}
            notes[name] += [f"{LABELS[fw]} {v:.0f} GB/s" for fw, v in gbs.items()]
        results[name] = per
        built.clear()
    device = cuda.get_current_device().name
    device = device.decode() if isinstance(device, bytes) else device
    lines = [f"GEMM: {cublas.status()}", f"Libraries: {_versions()}",
             f"{args.rounds} rounds, interleaved (order rotated per round); CUDA-event timing"]
    print(format_table(device, lines, results, titles, notes))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--steps", type=int, default=0, help="steps per round (default per workload: "
                   + ", ".join(f"{k} {v}" for k, v in DEFAULT_STEPS.items()) + ")")
    p.add_argument("--warmup", type=int, default=0, help="warm-up steps (default max(5, steps/4))")
    p.add_argument("--only", default="A,B,C,D")
    p.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    p.add_argument("--quick", action="store_true", help="steps / 10 and 2 rounds: a smoke run, not a measurement")
    args = p.parse_args(argv)
    if args.quick:
        args.rounds = min(args.rounds, 2)
    reason = no_device_reason()
    if reason:
        sys.exit(f"gpu_suite: no CUDA device: did not run ({reason})")  # one line on stderr, status 1
    run(args)


if __name__ == "__main__":
    main()
