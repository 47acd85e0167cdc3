"""The reference executor: runs a schedule node by node with each op's numpy reference.

It is the test oracle's executor (``set_context(executor="reference")``): gradient checks in float64
use it so they test the gradient *rules* without compiling a float64 variant of every kernel.
"""

import numpy as np

from ..graph.opdef import OPS
from .base import Backend, HostStorage, Plan
from .lower import LaunchKind


class ReferencePlan(Plan):
    source = "# reference executor: no generated code\n"

    def __init__(self, schedule):
        self.graph = schedule.graph
        self._launches = schedule.launches
        self._params = None
        self.failed_node = None  # the node whose reference raised during the last run

    def bind(self, handles):
        self._params = list(handles)

    def run(self, inputs):
        values = {}
        for launch in self._launches:
            n = launch.node
            if launch.kind is LaunchKind.INPUT:
                values[n.id] = inputs[n.index]
            elif launch.kind is LaunchKind.PARAM:
                values[n.id] = self._params[launch.param_index]
            elif launch.kind is LaunchKind.CONST:
                values[n.id] = n.value
            else:  # (Assign's and fused ops' references write into the Parameter arrays in place)
                self.failed_node = n
                out = OPS[n.op].reference(*[values[i] for i in launch.inputs], **n.attrs)
                values[n.id] = np.asarray(out).astype(n.dtype, copy=False).reshape(n.shape)
        self.failed_node = None
        return [np.array(values[o.id], copy=True) for o in self.graph.outputs]


class ReferenceBackend(Backend):
    target = "reference"

    def __init__(self, context, cache):
        super().__init__(context, cache)
        self._storage = HostStorage()

    def storage(self):
        return self._storage

    def emit(self, schedule):
        return ReferencePlan(schedule)
