"""The compile cache on disk: atomic file writes and generated modules imported from it.

Generated modules (kernel libraries, fused kernels, plans) are named by a hash of their source, so a
file on disk is never stale; numba's own cache (``cache=True``) sits beside them. A backend gets a
``ModuleCache`` from the runtime (backends sit below the runtime and do not import it).
"""

import importlib.util
import logging
import os
import sys
import tempfile

logger = logging.getLogger("minispore")


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
    writing it first (atomically) when it is not there yet; returns (module, path).

    A file on disk that differs from its source (truncated, or edited by hand) is reported once at WARNING
    and rewritten; a folder that cannot be written (read-only, full) is reported once at WARNING and
    replaced by a temporary folder for the rest of the process, so compiling never fails on the cache."""

    def __init__(self, folder=None):
        self.folder = folder or default_cache_dir()

    def module(self, kind, digest, source):
        name = f"minispore_{kind}_{digest}"
        path = os.path.join(self.folder, f"{kind}_{digest}.py")
        if name in sys.modules:
            return sys.modules[name], path
        if not _holds(path, source):
            if os.path.exists(path):
                logger.warning("compile cache entry %s does not match its source (corrupted?); rebuilding it", path)
            path = self._write(f"{kind}_{digest}.py", source)
        return import_file(name, path), path

    def _write(self, filename, source):
        path = os.path.join(self.folder, filename)
        try:
            write_atomic(path, source)
        except OSError as e:
            fallback = tempfile.mkdtemp(prefix="minispore-cache-")
            logger.warning("compile cache folder %s cannot be written (%s); compiling into %s for this process",
                           self.folder, e, fallback)
            self.folder = fallback
            path = os.path.join(fallback, filename)
            write_atomic(path, source)
        return path


def _holds(path, source):
    """Whether ``path`` exists and holds exactly ``source``."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read() == source
    except (OSError, UnicodeDecodeError):
        return False
