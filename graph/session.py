"""One place for the state of a minispore session.

Everything that used to be a module global lives on ``SESSION``: the layers above install what the
ground floor calls through (the ops' functional API for Tensor operators, the runtime's compiler
for Cells and gradient functions), and the session holds the global random generator, the
parameter-shape version that compiled plans are keyed on, the run-time context options and the
device targets' backends. Keeping it in one object makes the state visible and lets tests reset it.
"""

import weakref

import numpy as np


class Session:
    def __init__(self):
        self.functional = None  # minispore.ops.functional, installed when ops is imported
        self.runner = None      # runtime.compiler.run_compiled, installed when runtime is imported
        self.rng = np.random.default_rng(0)  # initializers and dropout seeds (minispore.set_seed)
        self.op_seed_count = 0  # random ops seeded since the last set_seed
        self.param_version = 0  # bumped when a Parameter's shape/dtype changes: plans are keyed on it
        self.residency_version = 0  # bumped when a Parameter's storage handle changes: plans rebind
        self.context = {}       # runtime options (runtime.context fills and validates it)
        self.context_version = 0
        self.graphs_dumped = 0  # numbers the graph dumps of save_graphs
        self.backends = {}      # (target, options) -> Backend, created on first use
        # data parallel: the process group that collective host ops reduce over (runtime.communication's
        # world once ``init()`` ran; None is a world of one) and the auto-parallel context that the training
        # cells read (runtime.communication.parallel_context fills and validates it)
        self.communicator = None
        self.parallel = {}
        # gradient functions by the function they differentiate: an entry goes when its function is
        # garbage-collected, and with it the compiled graphs it holds
        self.grad_functions = weakref.WeakKeyDictionary()

    def set_seed(self, seed):
        self.rng = np.random.default_rng(seed)
        self.op_seed_count = 0

    def ops(self):
        if self.functional is None:
            raise RuntimeError("minispore.ops is not loaded; import minispore first")
        return self.functional


SESSION = Session()
