"""Building optimizers from the golden optimizer cases (format: tests/data/golden/README.md)."""

import numpy as np

from minispore import Parameter, ParameterTuple, Tensor, nn

from golden.helpers import array

# Cases where MindSpore's CPU kernel departs from its own documentation. minispore implements the
# documented formula; tests/golden/test_documented_deviations.py checks these cases against it.
DOCUMENTED_DEVIATIONS = {
    "momentum_nesterov": "CPU ApplyMomentum ignores use_nesterov",
    "adagrad_no_update_slots": "CPU Adagrad ignores update_slots=False",
    "ftrl_l1": "CPU FTRL drops the sign(linear) factor on l1",
}


def lr_value(desc):
    """A learning-rate description -> what MindSpore was given (number, list or schedule cell)."""
    if isinstance(desc, dict):
        if "dynamic_lr" in desc:
            return getattr(nn.dynamic_lr, desc["dynamic_lr"])(**desc["kwargs"])
        if "list" in desc:
            return list(desc["list"])
        if "schedule" in desc:
            return getattr(nn, desc["schedule"])(**desc["kwargs"])
    return desc


def _kwargs(raw):
    out = {}
    for k, v in raw.items():
        if k == "learning_rate":
            out[k] = lr_value(v)
        elif isinstance(v, list):
            out[k] = tuple(v)
        else:
            out[k] = v
    return out


def make_params(case):
    return {p["name"]: Parameter(Tensor(array(p["value"])), name=p["name"]) for p in case["inputs"]["params"]}


def make_optimizer(case, params):
    """``nn.<api>(params or groups, **kwargs)`` as the case describes."""
    groups = case["inputs"]["param_groups"]
    if groups is None:
        arg = list(params.values())
    else:
        arg = []
        for g in groups:
            if "order_params" in g:
                arg.append({"order_params": [params[n] for n in g["order_params"]]})
                continue
            entry = {k: v for k, v in g.items() if k != "params"}
            entry["params"] = [params[n] for n in g["params"]]
            if "lr" in entry:
                entry["lr"] = lr_value(entry["lr"])
            arg.append(entry)
    kwargs = _kwargs(case["kwargs"])
    api = case["api"].split(".")[-1]
    if api == "LARS":
        inner_kw = dict(kwargs.pop("optimizer"))
        inner_api = inner_kw.pop("api").split(".")[-1]
        inner = getattr(nn, inner_api)(arg, **_kwargs(inner_kw))
        return nn.LARS(inner, **kwargs)
    return getattr(nn, api)(arg, **kwargs)


def grads_at(case, step, order):
    g = case["inputs"]["grads"][step]
    return tuple(Tensor(array(g[name])) for name in order)


def lr_as_dict(opt, order):
    """opt.get_lr() as {param name: float} (a tuple for group lrs) or a float."""
    lr = opt.get_lr()
    if isinstance(lr, (tuple, list)):
        return {name: float(np.asarray(v.asnumpy()).reshape(-1)[0]) for name, v in zip(order, lr)}
    return float(np.asarray(lr.asnumpy()).reshape(-1)[0])




def optimizer_state(opt):
    """{name: Parameter} for every Parameter the optimizer owns besides the ones it updates."""
    out = {}
    for value in vars(opt).values():
        if isinstance(value, Parameter):
            out[value.name] = value
        elif isinstance(value, ParameterTuple) and value is not opt.parameters:
            out.update((p.name, p) for p in value)
    updated = {id(p) for p in opt.parameters}  # parameters_and_names() lists these too (as MindSpore)
    for _, p in opt.parameters_and_names():
        if id(p) not in updated:
            out.setdefault(p.name, p)
    return out
