"""Graph dumps for ``set_context(save_graphs=True, save_graphs_path=DIR)``: one numbered text
file per pass, a DOT file of the final graph, the generated plan module and a summary (with the target's
own section: ``Backend.summary``, e.g. the Ascend target's cost estimate)."""

import os
import shutil
import subprocess

from ..graph.flops import graph_flops
from ..graph.printer import graph_to_text
from ..graph.session import SESSION
from . import context
from .cache import write_atomic


def graph_to_dot(graph):
    lines = [f'digraph "{graph.name}" {{', "  node [shape=box, fontname=monospace, fontsize=10];"]
    for n in graph.nodes:
        label = f"%{n.id} {n.op}\\n{list(n.shape)} {n.dtype.name}"
        if n.op == "param":
            label += f"\\n{n.param.name}"
        lines.append(f'  n{n.id} [label="{label}"];')
        for i in n.inputs:
            lines.append(f"  n{i.id} -> n{n.id};")
    lines.append("}")
    return "\n".join(lines) + "\n"


class GraphDumper:
    def __init__(self, folder, name):
        self.folder = folder
        self.prefix = f"{SESSION.graphs_dumped:04d}_{name}"
        SESSION.graphs_dumped += 1

    @classmethod
    def from_context(cls, name):
        if not context.get_context("save_graphs"):
            return None
        folder = os.path.abspath(context.get_context("save_graphs_path"))
        return cls(folder, name)

    def _write(self, suffix, text):
        write_atomic(os.path.join(self.folder, f"{self.prefix}_{suffix}"), text)

    def on_pass(self, index, pass_name, graph):
        self._write(f"{index:02d}_{pass_name}.ir", graph_to_text(graph) + "\n")

    def on_failure(self, graph):
        self._write("failed.ir", graph_to_text(graph) + "\n")

    def on_plan(self, graph, plan, backend=None):
        """``backend``: the one that compiled ``graph`` (its ``summary`` ends the summary file)."""
        dot = graph_to_dot(graph)
        self._write("final.dot", dot)
        self._write("plan.py", plan.source)
        self._write("summary.txt", summary_text(graph, plan, backend))
        if shutil.which("dot"):  # Graphviz installed: also render the final graph
            svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, timeout=60)
            if svg.returncode == 0:
                self._write("final.svg", svg.stdout)


def summary_text(graph, plan, backend=None):
    """Node count per op, fused kernels, arena bytes and FLOPs per step of a compiled graph, then
    ``backend.summary(graph)`` (the Ascend target's cost estimate)."""
    lines = [f"graph {graph.name}: {len(graph.nodes)} nodes, {graph_flops(graph) / 1e6:.3f} MFLOP per step"]
    lines.append("nodes per op:")
    lines += [f"  {op:<28} {count}" for op, count in graph.op_counts().items()]
    fused = [n for n in graph.nodes if n.op in ("FusedElementwise", "MultiTensorFused")]
    lines.append(f"fused kernels: {len(fused)}")
    for n in fused:
        tensors = n.attrs.get("tensors", 1)
        what = f"{tensors} tensors" if n.op == "MultiTensorFused" else f"{n.size} elements"
        lines.append(f"  %{n.id} {n.op} {n.attrs['ops']}  ({what}, {len(n.attrs['stores']) * tensors} in-place stores)")
    if plan.memory is not None:
        lines.append(plan.memory.summary())
    else:
        lines.append(f"buffers: {plan.stats()['buffer_bytes']} bytes (memory planning off)")
    extra = backend.summary(graph) if backend is not None else ""
    return "\n".join(lines) + "\n" + extra
