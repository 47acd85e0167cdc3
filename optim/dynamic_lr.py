"""``minispore.nn.dynamic_lr``: learning-rate lists, one value per training step.

Each function returns a Python list of floats, computed with the same Python (float64)
arithmetic as MindSpore 2.x, so the lists are bit-identical. Pass the list as an optimizer's
``learning_rate``: the optimizer gathers entry ``global_step`` inside the training graph.

Notation: ``i`` is the step (0 .. total_step - 1) and ``E = floor(i / step_per_epoch)`` the epoch.
"""

import math

from .validate import (
    check_float_type,
    check_is_float,
    check_non_negative_float,
    check_positive_float,
    check_positive_int,
    check_value_type,
)

# ---- the learning-rate lists -------------------------------------------------------------------


def piecewise_constant_lr(milestone, learning_rates):
    """lr[i] = learning_rates[k] for milestone[k-1] <= i < milestone[k] (milestone[-1] = 0).

    ``milestone`` is a non-decreasing list of positive ints (the last is the total number of steps; as
    in MindSpore, a repeated milestone is an empty segment); ``learning_rates`` a list of finite floats
    of the same length.

    >>> piecewise_constant_lr([2, 5, 10], [0.1, 0.05, 0.01])
    [0.1, 0.1, 0.05, 0.05, 0.05, 0.01, 0.01, 0.01, 0.01, 0.01]
    """
    fn = "piecewise_constant_lr"
    check_value_type("milestone", milestone, (tuple, list), fn_name=fn)
    check_value_type("learning_rates", learning_rates, (tuple, list), fn_name=fn)
    if len(milestone) != len(learning_rates):
        raise ValueError("For 'piecewise_constant_lr', the size of 'milestone' must be same with the size of "
                         f"'learning_rates', but got 'milestone' size: {len(milestone)}, "
                         f"'learning_rates' size: {len(learning_rates)}.")
    lr = []
    last_item = 0
    for i, item in enumerate(milestone):
        check_positive_int(item, f"milestone[{i}]", fn_name=fn)
        check_is_float(learning_rates[i], f"learning_rates[{i}]", fn_name=fn)
        if item < last_item:
            raise ValueError(f"For 'piecewise_constant_lr', the value of milestone[{i}] must be greater than "
                             f"milestone[{i - 1}], but got milestone[{i}]: {milestone[i]}, "
                             f"milestone[{i - 1}]: {milestone[i - 1]}.")
        lr += [learning_rates[i]] * (item - last_item)
        last_item = item
    return lr


def _check_inputs(fn, learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair):
    check_positive_int(total_step, "total_step", fn_name=fn)
    check_positive_int(step_per_epoch, "step_per_epoch", fn_name=fn)
    check_positive_int(decay_epoch, "decay_epoch", fn_name=fn)
    check_positive_float(learning_rate, "learning_rate", fn_name=fn)
    check_is_float(learning_rate, "learning_rate", fn_name=fn)
    check_positive_float(decay_rate, "decay_rate", fn_name=fn)
    check_is_float(decay_rate, "decay_rate", fn_name=fn)
    check_value_type("is_stair", is_stair, [bool], fn_name=fn)


def exponential_decay_lr(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair=False):
    """lr[i] = learning_rate * decay_rate ^ (E / decay_epoch), with floor(E / decay_epoch) if is_stair."""
    _check_inputs("exponential_decay_lr", learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair)
    lr = []
    for i in range(total_step):
        epoch = math.floor(i / step_per_epoch)
        if is_stair:
            lr.append(learning_rate * decay_rate ** math.floor(epoch / decay_epoch))
        else:
            lr.append(learning_rate * decay_rate ** (epoch / decay_epoch))
    return lr


def natural_exp_decay_lr(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair=False):
    """lr[i] = learning_rate * e^(-decay_rate * E), with E = floor(E / decay_epoch) * decay_epoch if is_stair.

    As in MindSpore's source (its docstring differs), E is not divided by decay_epoch: without
    is_stair, decay_epoch has no effect."""
    _check_inputs("natural_exp_decay_lr", learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair)
    lr = []
    for i in range(total_step):
        epoch = math.floor(i / step_per_epoch)
        if is_stair:
            epoch = math.floor(epoch / decay_epoch) * decay_epoch
        lr.append(learning_rate * math.e ** (-decay_rate * epoch))
    return lr


def inverse_decay_lr(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair=False):
    """lr[i] = learning_rate / (1 + decay_rate * E / decay_epoch), with floor(E / decay_epoch) if is_stair."""
    _check_inputs("inverse_decay_lr", learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair)
    lr = []
    for i in range(total_step):
        epoch = math.floor(i / step_per_epoch)
        p = math.floor(epoch / decay_epoch) if is_stair else epoch / decay_epoch
        lr.append(learning_rate / (1 + decay_rate * p))
    return lr


def cosine_decay_lr(min_lr, max_lr, total_step, step_per_epoch, decay_epoch):
    """lr[i] = min_lr + 0.5 * (max_lr - min_lr) * (1 + cos(pi * min(E, decay_epoch) / decay_epoch))."""
    fn = "cosine_decay_lr"
    check_float_type(min_lr, "min_lr", fn)
    check_non_negative_float(min_lr, "min_lr", fn_name=fn)
    check_positive_float(max_lr, "max_lr", fn_name=fn)
    check_is_float(max_lr, "max_lr", fn_name=fn)
    check_positive_int(total_step, "total_step", fn_name=fn)
    check_positive_int(step_per_epoch, "step_per_epoch", fn_name=fn)
    check_positive_int(decay_epoch, "decay_epoch", fn_name=fn)
    if min_lr >= max_lr:
        raise ValueError("For 'cosine_decay_lr', the 'max_lr' should be greater than the 'min_lr', "
                         f"but got 'max_lr' value: {max_lr}, 'min_lr' value: {min_lr}.")
    delta = 0.5 * (max_lr - min_lr)
    lr = []
    for i in range(total_step):
        tmp_epoch = min(math.floor(i / step_per_epoch), decay_epoch)
        lr.append(min_lr + delta * (1 + math.cos(math.pi * tmp_epoch / decay_epoch)))
    return lr


def polynomial_decay_lr(learning_rate, end_learning_rate, total_step, step_per_epoch, decay_epoch, power,
                        update_decay_epoch=False):
    """lr[i] = (learning_rate - end_learning_rate) * (1 - e / D) ^ power + end_learning_rate.

    Without update_decay_epoch: e = min(E, decay_epoch), D = decay_epoch. With it: e = E and
    D = decay_epoch * max(ceil(E / decay_epoch), 1), so the decay restarts every decay_epoch epochs."""
    fn = "polynomial_decay_lr"
    check_positive_float(learning_rate, "learning_rate", fn_name=fn)
    check_is_float(learning_rate, "learning_rate", fn_name=fn)
    check_float_type(end_learning_rate, "end_learning_rate", fn)
    check_non_negative_float(end_learning_rate, "end_learning_rate", fn_name=fn)
    check_positive_float(power, "power", fn_name=fn)
    check_is_float(power, "power", fn_name=fn)
    check_positive_int(total_step, "total_step", fn_name=fn)
    check_positive_int(step_per_epoch, "step_per_epoch", fn_name=fn)
    check_positive_int(decay_epoch, "decay_epoch", fn_name=fn)
    check_value_type("update_decay_epoch", update_decay_epoch, [bool], fn_name=fn)
    lr = []
    delta = learning_rate - end_learning_rate
    for i in range(total_step):
        current_epoch = math.floor(i / step_per_epoch)
        if update_decay_epoch:
            period, tmp_epoch = decay_epoch * max(math.ceil(current_epoch / decay_epoch), 1), current_epoch
        else:
            period, tmp_epoch = decay_epoch, min(decay_epoch, current_epoch)
        lr.append(delta * (1 - tmp_epoch / period) ** power + end_learning_rate)
    return lr


def warmup_lr(learning_rate, total_step, step_per_epoch, warmup_epoch):
    """lr[i] = learning_rate * min(E, warmup_epoch) / warmup_epoch (the first epoch is 0.0)."""
    fn = "warmup_lr"
    check_float_type(learning_rate, "learning_rate", fn)
    check_non_negative_float(learning_rate, "learning_rate", fn_name=fn)
    check_positive_int(warmup_epoch, "warmup_epoch", fn_name=fn)
    check_positive_int(total_step, "total_step", fn_name=fn)
    check_positive_int(step_per_epoch, "step_per_epoch", fn_name=fn)
    lr = []
    for i in range(total_step):
        tmp_epoch = min(warmup_epoch, math.floor(i / step_per_epoch))
        lr.append(learning_rate * tmp_epoch / warmup_epoch)
    return lr


__all__ = ["piecewise_constant_lr", "exponential_decay_lr", "natural_exp_decay_lr", "inverse_decay_lr",
           "cosine_decay_lr", "polynomial_decay_lr", "warmup_lr"]
