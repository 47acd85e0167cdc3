"""The reference executor: runs a graph node by node with each op's numpy reference.

It is the test oracle's executor (``set_context(executor="reference")``): gradient checks in float64
use it so they test the gradient *rules* without compiling a float64 variant of every kernel.
"""

import numpy as np

from ..graph.opdef import OPS


class ReferencePlan:
    def __init__(self, graph):
        self.graph = graph
        self.source = "# reference executor: no generated code\n"
        self.memory = None
        self.buffer_bytes = self.arena_bytes = 0
        self._param_index = {id(n): i for i, n in enumerate(graph.params)}

    def run(self, params, inputs):
        values = {}
        for n in self.graph.nodes:
            if n.op == "input":
                values[n.id] = inputs[n.index]
            elif n.op == "param":
                values[n.id] = params[self._param_index[id(n)]]
            elif n.op == "const":
                values[n.id] = n.value
            else:  # (Assign's and fused ops' references write into the Parameter arrays in place)
                out = OPS[n.op].reference(*[values[i.id] for i in n.inputs], **n.attrs)
                values[n.id] = np.asarray(out).astype(n.dtype, copy=False).reshape(n.shape)
        return [np.array(values[o.id], copy=True) for o in self.graph.outputs]


class ReferenceBackend:
    target = "reference"

    def __init__(self, **_options):
        pass

    def lower(self, graph):
        return ReferencePlan(graph)
