"""Invalid hyper-parameters of every optimizer, learning-rate schedule and dynamic-lr function are a clear
error at construction (issue 11): MindSpore's exception type (TypeError for a wrong type, ValueError for a
wrong value) and a message naming the class or function and the parameter. NaN and Inf are refused
wherever a finite number is meant, bools wherever a number is. Values MindSpore accepts still pass."""

import numpy as np
import pytest

from minispore import Tensor, nn
from minispore.nn import dynamic_lr as dlr

NAN, INF = float("nan"), float("inf")
V, T = ValueError, TypeError


def _ps():
    return nn.Dense(2, 2).trainable_params()


# Each optimizer with its required arguments filled in; keyword arguments override them.
OPTIMIZERS = {
    "SGD": lambda ps, **kw: nn.SGD(ps, **kw),
    "Momentum": lambda ps, **kw: nn.Momentum(ps, **{"learning_rate": 0.1, "momentum": 0.9, **kw}),
    "Adam": lambda ps, **kw: nn.Adam(ps, **kw),
    "AdamOffload": lambda ps, **kw: nn.AdamOffload(ps, **kw),
    "LazyAdam": lambda ps, **kw: nn.LazyAdam(ps, **kw),
    "AdamWeightDecay": lambda ps, **kw: nn.AdamWeightDecay(ps, **kw),
    "AdaMax": lambda ps, **kw: nn.AdaMax(ps, **kw),
    "Adagrad": lambda ps, **kw: nn.Adagrad(ps, **kw),
    "Adadelta": lambda ps, **kw: nn.Adadelta(ps, **kw),
    "ASGD": lambda ps, **kw: nn.ASGD(ps, **kw),
    "FTRL": lambda ps, **kw: nn.FTRL(ps, **kw),
    "Lamb": lambda ps, **kw: nn.Lamb(ps, **{"learning_rate": 0.1, **kw}),
    "ProximalAdagrad": lambda ps, **kw: nn.ProximalAdagrad(ps, **kw),
    "RMSProp": lambda ps, **kw: nn.RMSProp(ps, **kw),
    "Rprop": lambda ps, **kw: nn.Rprop(ps, **kw),
    # a manual learning_rate needs relative_step=False
    "AdaFactor": lambda ps, **kw: nn.AdaFactor(ps, **({"relative_step": False} if "learning_rate" in kw else {}), **kw),
    "LARS": lambda ps, **kw: nn.LARS(nn.Momentum(ps, 0.1, 0.9), **kw),
}
WITH_LOSS_SCALE = ["SGD", "Momentum", "Adam", "AdamOffload", "LazyAdam", "AdaMax", "Adagrad", "Adadelta", "FTRL",
                   "ProximalAdagrad", "RMSProp", "AdaFactor"]
BASE = [n for n in OPTIMIZERS if n != "LARS"]  # LARS takes its rate and decay from the wrapped optimizer

BAD_LR = [NAN, V], [INF, V], [-0.1, V], ["0.1", T], [True, T], [[0.1, NAN], V], [[0.1, -1.0], V], [[0.1, "a"], T], \
    [[0.1, None], T], [[True, 0.1], T], [Tensor(np.ones((2, 2), np.float32)), V], [[], V], [object(), T]
BAD_WD = [NAN, V], [INF, V], [-0.1, V], ["0.1", T], [None, T], [True, T]
BAD_LOSS_SCALE = [NAN, V], [INF, V], [0.0, V], [-1.0, V], ["1", T], [None, T], [True, T]
BAD_BOOL = [1, T], [None, T], ["yes", T]
BAD_BETA = [NAN, V], [INF, V], [0.0, V], [1.0, V], [1.5, V], [-0.5, V], [1, T], ["0.9", T], [True, T]
BAD_EPS = [NAN, V], [INF, V], [0.0, V], [-1e-8, V], [1, T], [None, T]
BAD_NON_NEG_FLOAT = [NAN, V], [INF, V], [-INF, V], [-0.1, V], [1, T], [True, T], ["0.1", T]  # float >= 0
BAD_ANY_FLOAT = [NAN, V], [INF, V], [-INF, V], [1, T], [None, T], [True, T]  # MindSpore: any float


def _rows(names, param, bad, text=None):
    return [(n, {param: value}, error, text or param) for n in names for value, error in bad]


OPTIMIZER_ERRORS = (
    _rows([n for n in BASE if n != "AdaFactor"], "learning_rate", BAD_LR + ([None, T],))
    + _rows(["AdaFactor"], "learning_rate", BAD_LR)  # AdaFactor: None means relative_step
    + _rows(BASE, "weight_decay", BAD_WD)
    + _rows(WITH_LOSS_SCALE, "loss_scale", BAD_LOSS_SCALE)
    # SGD: MindSpore converts int momentum/dampening; nesterov needs momentum > 0 and dampening 0
    + _rows(["SGD"], "momentum", [[-0.1, V], [NAN, V], [INF, V], ["0.9", T], [True, T]])
    + _rows(["SGD"], "dampening", [[-0.1, V], [NAN, V], [None, T]])
    + _rows(["SGD"], "nesterov", BAD_BOOL)
    + [("SGD", {"nesterov": True}, V, "nesterov"), ("SGD", {"weight_decay": nn.WarmUpLR(0.1, 2)}, T, "weight_decay")]
    # Momentum: a float >= 0 (MindSpore refuses an int)
    + _rows(["Momentum"], "momentum", [[NAN, V], [INF, V], [-0.1, V], [1, T], [True, T], [None, T]])
    + _rows(["Momentum"], "use_nesterov", BAD_BOOL)
    # the Adam family: 0 < beta1, beta2 < 1 and eps > 0, Python floats
    + _rows(["Adam", "AdamOffload", "LazyAdam", "AdamWeightDecay", "AdaMax", "Lamb"], "beta1", BAD_BETA)
    + _rows(["Adam", "AdamOffload", "LazyAdam", "AdamWeightDecay", "AdaMax", "Lamb"], "beta2", BAD_BETA)
    + _rows(["Adam", "AdamOffload", "LazyAdam", "AdamWeightDecay", "AdaMax", "Lamb"], "eps", BAD_EPS)
    + _rows(["Adam", "AdamOffload", "LazyAdam"], "use_locking", BAD_BOOL)
    + _rows(["Adam", "AdamOffload", "LazyAdam"], "use_nesterov", BAD_BOOL)
    + _rows(["Adam"], "use_amsgrad", BAD_BOOL) + _rows(["Adam"], "use_lazy", BAD_BOOL)
    + _rows(["Adagrad"], "accum", BAD_NON_NEG_FLOAT) + _rows(["Adagrad"], "update_slots", BAD_BOOL)
    + _rows(["Adadelta"], "rho", [[NAN, V], [INF, V], [-0.1, V], [1.1, V], [1, T], [None, T]])
    + _rows(["Adadelta"], "epsilon", BAD_NON_NEG_FLOAT)
    + _rows(["ASGD"], "lambd", BAD_ANY_FLOAT) + _rows(["ASGD"], "alpha", BAD_ANY_FLOAT)
    + _rows(["ASGD"], "t0", [[NAN, V], [-INF, V], [10, T], ["1e6", T]])
    # FTRL: floats; initial_accum, l1, l2 >= 0, lr_power <= 0, a fixed learning rate > 0
    + _rows(["FTRL"], "initial_accum", BAD_NON_NEG_FLOAT) + _rows(["FTRL"], "l1", BAD_NON_NEG_FLOAT)
    + _rows(["FTRL"], "l2", BAD_NON_NEG_FLOAT)
    + _rows(["FTRL"], "lr_power", [[NAN, V], [-INF, V], [0.5, V], [-1, T], [None, T]])
    + _rows(["FTRL"], "learning_rate", [[0.0, V], [1, T]])
    + _rows(["FTRL"], "learning_rate", [[[0.1, 0.2], V]], text="learning rate")  # dynamic: not supported
    + _rows(["FTRL", "ProximalAdagrad", "RMSProp"], "use_locking", BAD_BOOL)
    + _rows(["ProximalAdagrad"], "accum", BAD_NON_NEG_FLOAT) + _rows(["ProximalAdagrad"], "l1", BAD_NON_NEG_FLOAT)
    + _rows(["ProximalAdagrad"], "l2", BAD_NON_NEG_FLOAT)
    + _rows(["RMSProp"], "decay", BAD_NON_NEG_FLOAT) + _rows(["RMSProp"], "momentum", BAD_NON_NEG_FLOAT)
    + _rows(["RMSProp"], "epsilon", BAD_EPS) + _rows(["RMSProp"], "centered", BAD_BOOL)
    # Rprop: tuples of 2; 0 < etaminus < 1 < etaplus; min step <= max step
    + _rows(["Rprop"], "etas", [[[0.5, 1.2], T], [(0.5,), V], [(0.5, 1.2, 2.0), V]])
    + _rows(["Rprop"], "etas", [[(NAN, 1.2), V], [(1.5, 1.2), V], [(0.0, 1.2), V], [(1, 1.2), T]], "etaminus")
    + _rows(["Rprop"], "etas", [[(0.5, NAN), V], [(0.5, INF), V], [(0.5, 1.0), V], [(0.5, 2), T]], "etaplus")
    + _rows(["Rprop"], "step_sizes", [[[1e-6, 50.0], T], [(1e-6,), V]])
    + _rows(["Rprop"], "step_sizes", [[(NAN, 50.0), V], [(INF, INF), V], [("a", 50.0), T], [(0, 50.0), T]],
            "min_step_sizes")
    + _rows(["Rprop"], "step_sizes", [[(1e-6, NAN), V], [(1e-6, 50), T]], "max_step_sizes")
    + _rows(["Rprop"], "step_sizes", [[(1.0, 0.1), V]], "step size")
    # AdaFactor: eps a pair of floats >= 0, clip_threshold >= 0, 0 < decay_rate < 1, 0 <= weight_decay < 1
    + _rows(["AdaFactor"], "eps", [[1e-30, T], [(1e-30,), V], [(1e-30, 1e-3, 1e-3), V]])
    + _rows(["AdaFactor"], "eps", [[(NAN, 1e-3), V], [(-1.0, 1e-3), V], [(True, 1e-3), T]], "eps0")
    + _rows(["AdaFactor"], "eps", [[(1e-30, INF), V], [(1e-30, 1), T]], "eps1")
    + _rows(["AdaFactor"], "clip_threshold", BAD_NON_NEG_FLOAT)
    + _rows(["AdaFactor"], "decay_rate", [[NAN, V], [INF, V], [0.0, V], [1.0, V], [1, T]])
    + _rows(["AdaFactor"], "weight_decay", [[1.0, V], [0, T]])  # MindSpore's check_float_range: a float
    + _rows(["AdaFactor"], "beta1", [[NAN, V], [INF, V], [-0.1, V], ["0.9", T], [True, T]])
    + _rows(["AdaFactor"], "scale_parameter", BAD_BOOL) + _rows(["AdaFactor"], "compression", BAD_BOOL)
    + _rows(["AdaFactor"], "warmup_init", [[1, T], ["yes", T]])
    # LARS: epsilon and coefficient floats (any sign), use_clip a bool
    + _rows(["LARS"], "epsilon", BAD_ANY_FLOAT) + _rows(["LARS"], "coefficient", BAD_ANY_FLOAT)
    + _rows(["LARS"], "use_clip", BAD_BOOL) + _rows(["LARS"], "lars_filter", [[None, T], ["bias", T]])
)


def _id(owner, kwargs, text):
    return f"{owner}-{text}-{list(kwargs.values())[0]!r}"[:80]


@pytest.mark.parametrize("name,kwargs,error,text", OPTIMIZER_ERRORS,
                         ids=[_id(n, kw, t) for n, kw, _e, t in OPTIMIZER_ERRORS])
def test_bad_optimizer_hyperparameter(name, kwargs, error, text):
    with pytest.raises(error) as info:
        OPTIMIZERS[name](_ps(), **kwargs)
    message = str(info.value)
    assert f"'{name}'" in message and text in message, message


GROUP_ERRORS = [
    ({"weight_decay": NAN}, V, "weight_decay"), ({"weight_decay": -1.0}, V, "weight_decay"),
    ({"weight_decay": "0.1"}, T, "weight_decay"), ({"lr": INF}, V, "learning_rate"),
    ({"lr": [0.1, NAN]}, V, "learning_rate"), ({"lr": None}, T, "learning_rate"),
    ({"grad_centralization": 1}, T, "grad_centralization"), ({"grad_centralization": "yes"}, T, "grad_centralization"),
]


@pytest.mark.parametrize("group,error,text", GROUP_ERRORS, ids=[_id("group", g, t) for g, _e, t in GROUP_ERRORS])
def test_bad_group_hyperparameter(group, error, text):
    ps = _ps()
    with pytest.raises(error) as info:
        nn.Momentum([{"params": ps[:1], **group}, {"params": ps[1:]}], 0.1, 0.9)
    assert "'Momentum'" in str(info.value) and text in str(info.value)


def test_bad_params_and_group_lr_sizes():
    with pytest.raises(TypeError, match="For 'Adam', the argument 'params'"):
        nn.Adam(5)
    with pytest.raises(TypeError, match="For 'Adam', the argument 'params'"):
        nn.Adam(_ps()[0])  # a single Parameter, not a list
    ps = _ps()
    with pytest.raises(ValueError, match="For 'Momentum', the dynamic learning_rate lists of the groups"):
        nn.Momentum([{"params": ps[:1], "lr": [0.1, 0.2]}, {"params": ps[1:], "lr": [0.1, 0.2, 0.3]}], 0.1, 0.9)


# ---- learning-rate schedules ------------------------------------------------------------------------

DECAY = {"learning_rate": 0.1, "decay_rate": 0.9, "decay_steps": 4}
SCHEDULES = {
    "ExponentialDecayLR": (nn.ExponentialDecayLR, DECAY), "NaturalExpDecayLR": (nn.NaturalExpDecayLR, DECAY),
    "InverseDecayLR": (nn.InverseDecayLR, DECAY),
    "CosineDecayLR": (nn.CosineDecayLR, {"min_lr": 0.01, "max_lr": 0.1, "decay_steps": 4}),
    "PolynomialDecayLR": (nn.PolynomialDecayLR,
                          {"learning_rate": 0.1, "end_learning_rate": 0.01, "decay_steps": 4, "power": 0.5}),
    "WarmUpLR": (nn.WarmUpLR, {"learning_rate": 0.1, "warmup_steps": 4}),
}
BAD_POS_FLOAT = [NAN, V], [INF, V], [0.0, V], [-0.1, V], [1, T], ["0.1", T], [True, T], [None, T]
BAD_NN_FLOAT = [NAN, V], [INF, V], [-0.1, V], [0, T], [None, T]  # float >= 0 (an int is refused)
BAD_POS_INT = [0, V], [-1, V], [2.0, T], [NAN, T], [True, T], ["4", T], [None, T]
DECAYS = ["ExponentialDecayLR", "NaturalExpDecayLR", "InverseDecayLR"]
SCHEDULE_ERRORS = (
    _rows(DECAYS, "learning_rate", BAD_POS_FLOAT) + _rows(DECAYS, "decay_rate", BAD_POS_FLOAT)
    + _rows(DECAYS + ["CosineDecayLR", "PolynomialDecayLR"], "decay_steps", BAD_POS_INT)
    + _rows(DECAYS, "is_stair", BAD_BOOL)
    + _rows(["CosineDecayLR"], "min_lr", BAD_NN_FLOAT + ([0.2, V],))  # min_lr >= max_lr
    + _rows(["CosineDecayLR"], "max_lr", BAD_POS_FLOAT)
    + _rows(["PolynomialDecayLR"], "learning_rate", BAD_POS_FLOAT)
    + _rows(["PolynomialDecayLR"], "end_learning_rate", BAD_NN_FLOAT)
    + _rows(["PolynomialDecayLR"], "power", BAD_POS_FLOAT)
    + _rows(["PolynomialDecayLR"], "update_decay_steps", BAD_BOOL)
    + _rows(["WarmUpLR"], "learning_rate", BAD_NN_FLOAT) + _rows(["WarmUpLR"], "warmup_steps", BAD_POS_INT)
)


@pytest.mark.parametrize("name,kwargs,error,text", SCHEDULE_ERRORS,
                         ids=[_id(n, kw, t) for n, kw, _e, t in SCHEDULE_ERRORS])
def test_bad_schedule_hyperparameter(name, kwargs, error, text):
    cls, good = SCHEDULES[name]
    with pytest.raises(error) as info:
        cls(**{**good, **kwargs})
    assert f"'{name}'" in str(info.value) and text in str(info.value), str(info.value)


# ---- dynamic-lr functions ---------------------------------------------------------------------------

EXP = {"learning_rate": 0.1, "decay_rate": 0.9, "total_step": 6, "step_per_epoch": 2, "decay_epoch": 1}
FUNCTIONS = {
    "piecewise_constant_lr": (dlr.piecewise_constant_lr, {"milestone": [2, 5], "learning_rates": [0.1, 0.05]}),
    "exponential_decay_lr": (dlr.exponential_decay_lr, EXP), "natural_exp_decay_lr": (dlr.natural_exp_decay_lr, EXP),
    "inverse_decay_lr": (dlr.inverse_decay_lr, EXP),
    "cosine_decay_lr": (dlr.cosine_decay_lr,
                        {"min_lr": 0.01, "max_lr": 0.1, "total_step": 6, "step_per_epoch": 2, "decay_epoch": 2}),
    "polynomial_decay_lr": (dlr.polynomial_decay_lr, {"learning_rate": 0.1, "end_learning_rate": 0.01, "total_step": 6,
                                                      "step_per_epoch": 2, "decay_epoch": 2, "power": 0.5}),
    "warmup_lr": (dlr.warmup_lr, {"learning_rate": 0.1, "total_step": 6, "step_per_epoch": 2, "warmup_epoch": 2}),
}
EXPS = ["exponential_decay_lr", "natural_exp_decay_lr", "inverse_decay_lr"]
STEPS = EXPS + ["cosine_decay_lr", "polynomial_decay_lr", "warmup_lr"]
FUNCTION_ERRORS = (
    _rows(["piecewise_constant_lr"], "milestone", [[2, T], [[2, 5, 6], V], [None, T]])
    + _rows(["piecewise_constant_lr"], "milestone", [[[0, 5], V], [[2.0, 5], T], [[True, 5], T]], "milestone[0]")
    + _rows(["piecewise_constant_lr"], "milestone", [[[5, 2], V], [[2, NAN], T]], "milestone[1]")
    + _rows(["piecewise_constant_lr"], "learning_rates", [[0.1, T], [[0.1], V]])
    + _rows(["piecewise_constant_lr"], "learning_rates", [[[0.1, NAN], V], [[0.1, INF], V], [[0.1, 1], T],
                                                          [[0.1, None], T], [[0.1, True], T]], "learning_rates[1]")
    + _rows(EXPS + ["polynomial_decay_lr"], "learning_rate", BAD_POS_FLOAT)
    + _rows(EXPS, "decay_rate", BAD_POS_FLOAT) + _rows(EXPS, "is_stair", BAD_BOOL)
    + _rows(STEPS, "total_step", BAD_POS_INT) + _rows(STEPS, "step_per_epoch", BAD_POS_INT)
    + _rows(STEPS[:-1], "decay_epoch", BAD_POS_INT) + _rows(["warmup_lr"], "warmup_epoch", BAD_POS_INT)
    + _rows(["cosine_decay_lr"], "min_lr", BAD_NN_FLOAT + ([0.2, V],)) + _rows(["cosine_decay_lr"], "max_lr",
                                                                               BAD_POS_FLOAT)
    + _rows(["polynomial_decay_lr"], "end_learning_rate", BAD_NN_FLOAT)
    + _rows(["polynomial_decay_lr"], "power", BAD_POS_FLOAT)
    + _rows(["polynomial_decay_lr"], "update_decay_epoch", BAD_BOOL)
    + _rows(["warmup_lr"], "learning_rate", BAD_NN_FLOAT)
)


@pytest.mark.parametrize("name,kwargs,error,text", FUNCTION_ERRORS,
                         ids=[_id(n, kw, t) for n, kw, _e, t in FUNCTION_ERRORS])
def test_bad_dynamic_lr_argument(name, kwargs, error, text):
    fn, good = FUNCTIONS[name]
    with pytest.raises(error) as info:
        fn(**{**good, **kwargs})
    assert f"'{name}'" in str(info.value) and text in str(info.value), str(info.value)


# ---- what MindSpore accepts still passes --------------------------------------------------------------

ACCEPTED = [
    ("SGD", {"momentum": 0, "dampening": 0, "weight_decay": 0, "loss_scale": 1024}),  # ints are converted
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("Momentum", {"learning_rate": 0, "momentum": 0.0}),
    ("Momentum", {"learning_rate": Tensor(np.float32(0.1)), "momentum": 1.5}),  # no upper bound on momentum
    ("Momentum", {"learning_rate": np.array([0.1, 0.05])}), ("Momentum", {"learning_rate": range(1, 4)}),
    ("Momentum", {"learning_rate": (v for v in [0.1, 0.05])}), ("Momentum", {"learning_rate": np.float64(0.1)}),
    ("Momentum", {"learning_rate": dlr.piecewise_constant_lr([1, 1, 3], [0.3, 0.2, 0.1])}),
    ("Adam", {"beta1": np.float64(0.5), "beta2": 0.5, "eps": 1e-30, "learning_rate": nn.WarmUpLR(0.1, 2)}),
    ("Adagrad", {"accum": 0.0}), ("Adadelta", {"rho": 0.0}), ("Adadelta", {"rho": 1.0, "epsilon": 0.0}),
    ("RMSProp", {"decay": 1.5, "momentum": 0.0}),  # MindSpore: decay >= 0, no upper bound
    ("ASGD", {"lambd": -1e-4, "alpha": -0.5, "t0": INF}),  # any float; t0 = +inf never averages
    ("FTRL", {"lr_power": 0.0, "l1": 0.0, "l2": 0.0, "initial_accum": 0.0, "loss_scale": 2}),
    ("ProximalAdagrad", {"accum": 0.0, "l1": 0.0, "l2": 0.0}),
    ("Rprop", {"etas": (0.1, 10.0), "step_sizes": (0.0, INF)}), ("Rprop", {"step_sizes": (1.0, 1.0)}),
    ("AdaFactor", {"beta1": 0}), ("AdaFactor", {"beta1": None, "eps": [0.0, 0.0], "clip_threshold": 0.0}),
    ("AdaFactor", {"learning_rate": 0.01, "weight_decay": 0.5, "decay_rate": 0.5}),
    ("Lamb", {"learning_rate": [0.1, 0.05], "weight_decay": 0}),
    ("LARS", {"epsilon": 0.0, "coefficient": 0.0, "use_clip": True}),
]


@pytest.mark.parametrize("name,kwargs", ACCEPTED, ids=[_id(n, kw, "ok") for n, kw in ACCEPTED])
def test_mindspore_accepted_values_still_pass(name, kwargs):
    OPTIMIZERS[name](_ps(), **kwargs)


def test_mindspore_accepted_groups_schedules_and_lists_still_pass():
    ps = _ps()
    nn.Momentum([{"params": ps[:1], "weight_decay": 0, "lr": 0, "grad_centralization": False},
                 {"params": ps[1:], "lr": [0.1, 0.2]}], [0.3, 0.4], 0.9)
    nn.ExponentialDecayLR(0.1, 1.5, 1, True)  # decay_rate > 1 grows the rate: allowed
    nn.PolynomialDecayLR(0.1, 0.5, 2, 0.5)  # end_learning_rate above learning_rate: allowed
    nn.CosineDecayLR(0.0, 0.1, 1)
    nn.WarmUpLR(0.0, 1)
    assert dlr.piecewise_constant_lr((1, 1, 3), (0.3, 0.2, 0.1)) == [0.3, 0.1, 0.1]  # a repeated milestone
    assert dlr.piecewise_constant_lr([], []) == []
    assert len(dlr.exponential_decay_lr(0.1, 2.0, 3, 1, 1)) == 3
    assert dlr.polynomial_decay_lr(0.1, 0.2, 3, 1, 2, 1.0)[0] == 0.1
