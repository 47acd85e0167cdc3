"""Device targets by name: each registers its ``Backend`` class; the reference executor is registered
the same way but is not a device target."""

_BACKENDS = {}
_DEVICE_TARGETS = []


def register_backend(target, backend_class, device=True):
    """``backend_class(context, cache)`` makes the Backend of ``target``."""
    _BACKENDS[target] = backend_class
    if device and target not in _DEVICE_TARGETS:
        _DEVICE_TARGETS.append(target)


def available_targets():
    """The device targets this build can run (names for ``set_context(device_target=...)``)."""
    return sorted(_DEVICE_TARGETS)


def backend_pass_names():
    """The names of every registered target's own graph passes."""
    return {name for cls in _BACKENDS.values() for name in cls.pass_names}


def backend_options(target):
    """The context keys the backend of ``target`` reads (it is rebuilt when one of them changes)."""
    return _backend_class(target).context_keys


def create_backend(target, context, cache):
    return _backend_class(target)(context, cache)


def _backend_class(target):
    if target not in _BACKENDS:
        raise RuntimeError(f"device_target '{target}' is not available yet; available targets: "
                           f"{available_targets()}")
    return _BACKENDS[target]
