"""Constant folding: a pure node whose inputs are all constants becomes a constant (computed with
the op's numpy reference), up to a size limit so folding never bloats the plan."""

import numpy as np

from ..opdef import OPS

FOLD_LIMIT = 1 << 16  # elements


def fold(graph):
    for n in graph.nodes:
        if n.is_leaf or not n.inputs or OPS[n.op].impure or n.size > FOLD_LIMIT:
            continue
        if all(i.op == "const" for i in n.inputs):
            # silent, as the compiled step is: a log(0) or an overflow shows in the numbers, not as a warning
            with np.errstate(all="ignore"):
                value = OPS[n.op].reference(*[i.value for i in n.inputs], **n.attrs)
            n.value = np.array(value, dtype=n.dtype, order="C").reshape(n.shape)
            n.op, n.inputs, n.attrs = "const", [], {}
    return graph
