"""The dump summary's text of the Ascend 910 cost model (cost_model.py): the step's estimated time, its split by
kind (cube, vector, TransData, other), the slowest kernels and a hint at what bounds the step."""

from .cost_model import (
    AI_CORES,
    CLOCK_HZ,
    CUBE_FLOPS,
    HBM_BYTES_PER_S,
    LAUNCH_S,
    DeviceView,
    _estimate,
    _is_host,
    category,
)
from .precision import CUBE_OPS, DEFAULT_PRECISION_MODE

KINDS = ("cube", "vector", "TransData", "other")


def _formats(n):
    """The node's layout attributes ("NCHW->NC1HWC0" for a TransData), or ""."""
    if "src_format" in n.attrs and "dst_format" in n.attrs:
        return f"{n.attrs['src_format']}->{n.attrs['dst_format']}"
    return " ".join(f"{k}={v}" for k, v in n.attrs.items() if "format" in k.lower() and isinstance(v, str))


def _label(n):
    name = f"%{n.id} {n.op}"
    if "ops" in n.attrs:
        name += f"[{n.attrs['ops']}]"
    return name if len(name) <= 40 else name[:37] + "..."


def _dtype(n, view):
    """The dtype the kernel computes in on the device (a cube op's: what the Cube multiplies)."""
    if n.op in CUBE_OPS:
        return "float16" if view.cube_itemsizes(n)[0] <= 2 else "float32"
    return n.dtype.name


def _hint(totals, total, launch, costs):
    """One line: what dominates the step and what would shrink it."""
    if total == 0:
        return "nothing runs on the device"
    if launch / total > 0.5:
        return (f"launch overhead dominates ({100 * launch / total:.0f}% of the step is {len(costs)} kernels x "
                f"{LAUNCH_S * 1e6:.0f} us): the kernels are tiny; a larger batch or more fusion amortises it")
    kind = max(totals, key=totals.get)
    share = 100 * totals[kind] / total
    if kind == "TransData":
        return (f"layout conversions dominate (TransData {share:.0f}%): keep tensors in the device format "
                "between ops so fewer conversions are inserted")
    if kind == "cube":
        bound = [c for c in costs if c.node.op in CUBE_OPS]
        mem = sum(c.seconds for c in bound if c.bound == "memory")
        how = "memory-bound (small GEMMs)" if mem > totals[kind] / 2 else "compute-bound, near the Cube's roofline"
        return f"cube ops dominate ({share:.0f}%), {how}"
    if kind == "vector":
        return (f"vector ops dominate ({share:.0f}%), bound by HBM traffic: fusing them, or float16 activations, "
                "cuts the bytes moved")
    return f"data movement and host ops dominate ({share:.0f}%)"


def cost_text(graph, precision_mode=DEFAULT_PRECISION_MODE, top=15):
    """The dump summary's section: the ``top`` kernels by estimated time, totals per kind, the step total."""
    view = DeviceView(graph, precision_mode)
    costs = _estimate(graph, view)
    total = sum(c.seconds for c in costs)
    totals = dict.fromkeys(KINDS, 0.0)
    counts = dict.fromkeys(KINDS, 0)
    for c in costs:
        totals[category(c.node)] += c.seconds
        counts[category(c.node)] += 1
    launch = LAUNCH_S * sum(1 for c in costs if not _is_host(c.node))

    def pct(t):
        return 100 * t / total if total else 0.0

    lines = [f"Ascend 910 cost estimate ({precision_mode}): per kernel max(compute, HBM traffic) + "
             f"{LAUNCH_S * 1e6:.0f} us launch; {AI_CORES} AI cores at {CLOCK_HZ / 1e9:.3f} GHz, Cube "
             f"{CUBE_FLOPS / 1e12:.0f} TFLOPS float16, HBM {HBM_BYTES_PER_S / 1e12:.2f} TB/s (docs/ascend.md)",
             f"top {min(top, len(costs))} of {len(costs)} kernels by estimated time:",
             f"  {'us':>9} {'%':>6}  {'bound':<7} {'node':<40} {'shape':<18} {'dtype':<8} formats"]
    for c in sorted(costs, key=lambda c: -c.seconds)[:top]:
        n = c.node
        shape = "x".join(map(str, n.shape)) or "scalar"
        lines.append(f"  {c.seconds * 1e6:9.2f} {pct(c.seconds):6.1f}  {c.bound:<7} {_label(n):<40} {shape:<18} "
                     f"{_dtype(n, view):<8} {_formats(n)}".rstrip())
    lines.append("per kind:")
    lines += [f"  {k:<10} {counts[k]:4d} kernels {totals[k] * 1e6:11.2f} us {pct(totals[k]):6.1f}%" for k in KINDS]
    lines.append(f"step total: {total * 1e6:.2f} us estimated on an Ascend 910 ({len(costs)} kernels, "
                 f"{launch * 1e6:.0f} us of it launch overhead)")
    lines.append(f"what dominates: {_hint(totals, total, launch, costs)}")
    return "\n".join(lines) + "\n"
