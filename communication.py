"""``minispore.communication`` (MindSpore's ``mindspore.communication``): the data-parallel process group.

``init()`` joins the MPI world when the script runs under ``mpiexec -n N`` (else a world of one);
``get_rank()``, ``get_group_size()``, ``get_local_rank()``, ``release()`` and ``GlobalComm`` as in MindSpore.
``minispore.communication.management`` is the same module (MindSpore's older import path).
"""

import sys

from .runtime.communication.world import (  # noqa: F401
    GlobalComm,
    get_group_size,
    get_local_rank,
    get_rank,
    init,
    release,
)

# ``from mindspore.communication.management import init, get_rank`` is common in MindSpore scripts: the
# import system finds a submodule in sys.modules before searching the (absent) package folder
management = sys.modules[__name__]
sys.modules[__name__ + ".management"] = management

__all__ = ["GlobalComm", "init", "release", "get_rank", "get_group_size", "get_local_rank"]
