"""``minispore.jit``: compile a Python function of Tensors (or a Cell's ``construct``) as one graph.

The function is traced by the same tracer as a Cell and compiled by the same pipeline
(``executor_hook.run_compiled``), cached per input signature: for inputs x_1..x_n the cache key is
(structure, (shape_i, dtype_i) for each Tensor x_i, the other arguments' values, context, parameter
version), so a call with new shapes or dtypes compiles again and a repeated one runs the cached plan.
Called inside a trace (from a Cell, a gradient function or another jit function) the function is
simply inlined into the enclosing graph.

MindSpore's options (``capture_mode``, ``jit_level``, ``dynamic``, ``fullgraph``, ``backend`` and the
older ``mode``, ``input_signature``, ``hash_args``, ``jit_config``, ``compile_once``) are accepted and
checked; minispore always captures by tracing and compiles the whole function.
"""

import functools
import inspect
import weakref

from . import executor_hook, trace

_CAPTURE_MODES = ("ast", "bytecode", "trace")
_JIT_LEVELS = ("O0", "O1", "O2")
_OLD_MODES = ("PSJit", "PIJit")
_OPTIONS = ("mode", "input_signature", "hash_args", "jit_config", "compile_once", "jit_syntax_level",
            "infer_boost", "exc_mode", "debug_level")


class JitConfig:
    """MindSpore's ``JitConfig(jit_level="", exc_mode="auto", jit_syntax_level="", debug_level="RELEASE",
    infer_boost="off", **kwargs)``: kept as a dict of options; minispore's compiler takes none of them."""

    def __init__(self, jit_level="", exc_mode="auto", jit_syntax_level="", debug_level="RELEASE", infer_boost="off",
                 **kwargs):
        if jit_level not in ("",) + _JIT_LEVELS:
            raise ValueError(f"For 'JitConfig', jit_level must be one of ['', 'O0', 'O1', 'O2'], but got {jit_level!r}")
        self.jit_config_dict = dict(jit_level=jit_level, exc_mode=exc_mode, jit_syntax_level=jit_syntax_level,
                                    debug_level=debug_level, infer_boost=infer_boost, **kwargs)


def _check_options(capture_mode, jit_level, options):
    if capture_mode not in _CAPTURE_MODES:
        raise ValueError(f"For 'jit', the 'capture_mode' must be one of {list(_CAPTURE_MODES)}, but got "
                         f"{capture_mode!r}")
    if jit_level not in _JIT_LEVELS:
        raise ValueError(f"For 'jit', the 'jit_level' must be one of {list(_JIT_LEVELS)}, but got {jit_level!r}")
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise TypeError(f"For 'jit', unknown option(s) {unknown}")
    mode = options.get("mode", "PSJit")
    if mode not in _OLD_MODES:
        raise ValueError(f"For 'jit', the 'mode' must be one of {list(_OLD_MODES)}, but got {mode!r}")
    config = options.get("jit_config")
    if config is not None and not isinstance(config, (JitConfig, dict)):
        raise TypeError(f"For 'jit', the 'jit_config' must be a JitConfig, but got {type(config).__name__}")


class JitFunction:
    """The callable ``jit(fn)`` returns: compiles ``fn`` per input signature when called outside a trace.

    As a method (``@jit`` on a Cell's ``construct`` or any method) it binds like a function; each
    instance keeps its own compiled graphs (keyed by the instance, held weakly), in its train/eval mode.
    """

    def __init__(self, fn, options):
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.options = options
        self._cache = executor_hook.CompileCache()
        self._per_instance = weakref.WeakKeyDictionary()

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return functools.partial(self._call_bound, obj)

    def __call__(self, *args, **kwargs):
        if trace.current() is not None:
            return self.fn(*args, **kwargs)
        args = _positional(self.fn, args, kwargs)
        return executor_hook.run_compiled(self._cache, self.fn, args, self.__name__)

    def _call_bound(self, obj, *args, **kwargs):
        if trace.current() is not None:
            return self.fn(obj, *args, **kwargs)
        args = _positional(self.fn, (obj,) + args, kwargs)[1:]
        try:
            cache = self._per_instance.setdefault(obj, executor_hook.CompileCache())
        except TypeError:  # not weak-referenceable: share the function's cache (the instance is in the key)
            return executor_hook.run_compiled(self._cache, self.fn, (obj,) + args, self.__name__)
        return executor_hook.run_compiled(cache, functools.partial(self.fn, obj), args,
                                          f"{type(obj).__name__}.{self.__name__}", getattr(obj, "training", None))


def _positional(fn, args, kwargs):
    """The call's arguments as a positional tuple (keyword arguments bound to their parameters), so the
    compile cache keys on every argument."""
    if not kwargs:
        return args
    bound = inspect.signature(fn).bind(*args, **kwargs)
    if bound.kwargs:
        raise TypeError(f"For 'jit', keyword-only arguments {sorted(bound.kwargs)} are not supported; "
                        f"pass them positionally")
    return tuple(bound.args)


def jit(function=None, *, capture_mode="ast", jit_level="O0", dynamic=0, fullgraph=False, backend="", **options):
    """MindSpore's ``jit``: ``@jit``, ``@jit(...)`` or ``jit(fn, ...)`` on a function of Tensors or on a
    Cell's ``construct``; returns a callable that traces and compiles ``function`` once per input
    signature (shapes and dtypes of its Tensor arguments, values of the others) and runs the compiled graph.

    Keyword arguments of a call are constants of the graph (they select a compiled graph by value).
    Options are checked as MindSpore checks them and otherwise have no effect.
    """
    _check_options(capture_mode, jit_level, options)

    def wrap(fn):
        if isinstance(fn, JitFunction):
            return fn
        if not callable(fn):
            raise TypeError(f"For 'jit', the decorated object must be callable, but got {type(fn).__name__}")
        return JitFunction(fn, dict(options, capture_mode=capture_mode, jit_level=jit_level, dynamic=dynamic,
                                    fullgraph=fullgraph, backend=backend))

    return wrap if function is None else wrap(function)


__all__ = ["jit", "JitConfig"]
