"""Op test cases for ops/collective.py. In a world of one (no communicator) AllReduce returns its input:
one tensor keeps its shape, several are packed into one flat buffer in order."""

import numpy as np

CASES = {
    "AllReduce": [
        dict(inputs=[np.arange(6, dtype=np.float32).reshape(2, 3)], attrs=dict(op="sum", group="world_group")),
        dict(inputs=[np.arange(6, dtype=np.float32).reshape(2, 3), np.array([7.5, -1], np.float32)],
             attrs=dict(op="sum", group="world_group")),
    ],
    # a world of one: the gather of one rank's rows is those rows
    "AllGather": [dict(inputs=[np.arange(6, dtype=np.float32).reshape(3, 2)], attrs=dict(group="world_group", size=1))],
}
