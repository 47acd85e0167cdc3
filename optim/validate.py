"""Argument checks of the optimizers, learning-rate schedules and dynamic-lr lists: MindSpore 2.x's rules
(``mindspore._checkparam`` and each optimizer's ``_check_param_value``) and messages, defined once here.

Two families:

* MindSpore's validators as the schedules and dynamic_lr functions call them (``check_positive_int``,
  ``check_positive_float``, ``check_non_negative_float``, ``check_is_float``, ``check_value_type``), with
  MindSpore's exact messages ("For 'WarmUpLR', the 'warmup_steps' must be int and must > 0, ...").
  MindSpore's dynamic_lr functions pass no name, so their messages say only "The 'total_step' ...";
  ``fn_name`` prefixes the function ("For 'warmup_lr': The 'total_step' ...") so the user knows which call.
* The optimizer checks (``check_float``, ``check_bool``, ``check_betas_eps``): "For 'Adam', the 'beta1'
  must be in range of (0.0, 1.0), but got 1.5".

Beyond MindSpore, NaN and infinities are refused wherever a finite number is meant: MindSpore's
``check_value_type`` and ``Validator.check_number`` let NaN through (e.g. ``Momentum(momentum=nan)``,
``FTRL(l1=nan)``), and NaN then silently poisons every parameter at the first step.
"""

import math
import numbers

# ---- MindSpore's _checkparam validators (schedules, dynamic_lr) -----------------------------------


def _who(arg_name, prim_name=None, fn_name=None):
    if prim_name:
        return f"For '{prim_name}', the '{arg_name}'"
    return (f"For '{fn_name}': " if fn_name else "") + f"The '{arg_name}'"


def _is_finite(value):
    return not (math.isinf(value) or math.isnan(value))


def _check_number(value, bound, strict, arg_type, arg_name, prim_name, fn_name):
    """MindSpore's ``check_number``: ``value`` is an ``arg_type`` (not a bool), finite, and > bound
    (strict) or >= bound."""
    info = _who(arg_name, prim_name, fn_name)
    if not isinstance(value, arg_type):
        raise TypeError(f"{info} must be {arg_type.__name__}, but got '{type(value).__name__}'")
    if not _is_finite(value):
        raise ValueError(f"{info} must be a legal value, but got '{value}'.")
    ok = value > bound if strict else value >= bound
    if isinstance(value, bool) or not ok:
        error = TypeError if isinstance(value, bool) else ValueError
        raise error(f"{info} must be {arg_type.__name__} and must {'>' if strict else '>='} {bound}, "
                    f"but got '{value}' with type '{type(value).__name__}'.")
    return value


def check_positive_int(value, arg_name, prim_name=None, fn_name=None):
    return _check_number(value, 0, True, int, arg_name, prim_name, fn_name)


def check_positive_float(value, arg_name, prim_name=None, fn_name=None):
    return _check_number(value, 0, True, float, arg_name, prim_name, fn_name)


def check_non_negative_float(value, arg_name, prim_name=None, fn_name=None):
    return _check_number(value, 0, False, float, arg_name, prim_name, fn_name)


def check_is_float(value, arg_name, prim_name=None, fn_name=None):
    """MindSpore's ``check_is_float``: a Python float (ints and bools refused), and finite."""
    info = _who(arg_name, prim_name, fn_name)
    if not isinstance(value, float):
        raise TypeError(f"{info} must be float, but got '{type(value).__name__}'.")
    if not _is_finite(value):
        raise ValueError(f"{info} must be a legal float, but got '{value}'.")
    return value


def check_value_type(arg_name, value, valid_types, prim_name=None, fn_name=None):
    """MindSpore's ``check_value_type``: bool only passes when bool is listed (bool is an int)."""
    valid_types = tuple(valid_types)
    if (isinstance(value, bool) and bool not in valid_types) or not isinstance(value, valid_types):
        names = [t.__name__ for t in valid_types]
        shown = f"one of '{names}'" if len(names) > 1 else f"'{names[0]}'"
        who = _who(arg_name, prim_name, fn_name).replace(f"'{arg_name}'", f"type of '{arg_name}'")
        raise TypeError(f"{who} should be {shown}, but got type '{type(value).__name__}'.")
    return value


def check_float_type(value, arg_name, fn_name):
    """The explicit ``isinstance(x, float)`` checks MindSpore writes before its non-negative checks."""
    if not isinstance(value, float):
        raise TypeError(f"For '{fn_name}', the argument '{arg_name}' must be type of float, "
                        f"but got '{arg_name}' type: {type(value)}.")


# ---- optimizer checks -----------------------------------------------------------------------------


def _range_text(lo, hi, lo_open, hi_open, relational):
    if lo is not None and hi is not None:
        return f"in range of {'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
    if lo is not None:
        if lo == 0 and not relational:
            return "a positive float" if lo_open else "a non-negative float"
        return f"{'>' if lo_open else '>='} {lo}"
    return f"{'<' if hi_open else '<='} {hi}"


def check_float(cls_name, name, value, lo=None, hi=None, lo_open=False, hi_open=False, *, ints=False,
                allow_inf=False, relational=False):
    """An optimizer's real-valued hyper-parameter; returns it as a float.

    ``ints``: ints (and numpy reals) are accepted and converted, as MindSpore does for learning_rate,
    weight_decay, loss_scale and SGD's momentum/dampening; otherwise only a Python float passes, as
    MindSpore's ``check_value_type(name, value, [float])``. Bools are refused either way. NaN is
    refused, and so are infinities unless ``allow_inf`` (an upper bound where +inf means "none").
    The range [lo, hi] is open at an end with ``lo_open``/``hi_open``; ``relational`` words the
    message "must be >= 0.0" instead of "must be a non-negative float"."""
    kinds = numbers.Real if ints else float
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise TypeError(f"For '{cls_name}', the type of '{name}' must be {'int or float' if ints else 'float'}, "
                        f"but got {type(value).__name__}")
    value = float(value)
    if math.isnan(value) or (math.isinf(value) and not (allow_inf and value > 0)):
        raise ValueError(f"For '{cls_name}', the '{name}' must be a finite number, but got {value}")
    below = lo is not None and (value < lo or (lo_open and value == lo))
    above = hi is not None and (value > hi or (hi_open and value == hi))
    if below or above:
        raise ValueError(f"For '{cls_name}', the '{name}' must be "
                         f"{_range_text(lo, hi, lo_open, hi_open, relational)}, but got {value}")
    return value


def check_bool(cls_name, name, value):
    if not isinstance(value, bool):
        raise TypeError(f"For '{cls_name}', the type of '{name}' must be bool, but got {type(value).__name__}")
    return value


def check_betas_eps(cls_name, beta1, beta2, eps):
    """0 < beta1 < 1, 0 < beta2 < 1, eps > 0 (finite), all Python floats (MindSpore's ``_check_param_value``
    of Adam, AdamWeightDecay, AdaMax and Lamb)."""
    check_float(cls_name, "beta1", beta1, 0.0, 1.0, lo_open=True, hi_open=True)
    check_float(cls_name, "beta2", beta2, 0.0, 1.0, lo_open=True, hi_open=True)
    check_float(cls_name, "eps", eps, lo=0.0, lo_open=True)
