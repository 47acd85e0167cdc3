"""The compile cache on disk: atomic file writes and generated modules imported from it.

Generated modules (kernel libraries, fused kernels, plans) are named by a hash of their source, so a
file on disk is never stale; numba's own cache (``cache=True``) sits beside them. A backend gets a
``ModuleCache`` from the runtime (backends sit below the runtime and do not import it).
"""

import importlib.util
import os
import sys
import tempfile


def default_cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "minispore")


def write_atomic(path, data):
    """Write ``data`` (str or bytes) to ``path`` through a temporary file in the same folder, fsync and
    rename, so readers never see half a file and a failure leaves any previous file whole."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def import_file(module_name, path):
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = mod
    spec.loader.exec_module(mod)
    return mod


class ModuleCache:
    """Generated modules in one folder: ``module(kind, digest, source)`` imports ``<kind>_<digest>.py``,
    writing it first (atomically) when it is not there yet; returns (module, path)."""

    def __init__(self, folder=None):
        self.folder = folder or default_cache_dir()

    def module(self, kind, digest, source):
        path = os.path.join(self.folder, f"{kind}_{digest}.py")
        if not os.path.exists(path):
            write_atomic(path, source)
        return import_file(f"minispore_{kind}_{digest}", path), path
