"""Op test cases for ops/debug_ops.py (Print runs its reference on the host: output 0, and it prints)."""

import numpy as np

CASES = {
    "Print": [dict(inputs=[np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2], np.int32)],
                   attrs=dict(texts=("a:", None, None, "end")))],
}
