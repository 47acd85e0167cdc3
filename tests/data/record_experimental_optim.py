"""Record mindspore.experimental.optim numbers into experimental_optim_ms210.json (run with MindSpore 2.10:
``python record_experimental_optim.py experimental_optim_ms210.json``); not a test, never imported by tests."""
# A recording script kept as it was run (compact on purpose).
# ruff: noqa: E501, E701, E702
import json
import sys

import mindspore as ms
import numpy as np
from mindspore import Tensor, nn
from mindspore.experimental import optim
from mindspore.experimental.optim import lr_scheduler as L

W = np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6]], np.float32)
B = np.array([0.05, -0.02], np.float32)
X = np.array([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.3, 0.8, 0.1], [1.2, 0.0, -0.7]], np.float32)
Y = np.array([[0.3, -0.2], [1.0, 0.5], [-0.4, 0.2], [0.0, 0.9]], np.float32)

def net_():
    net = nn.Dense(3, 2)
    net.weight.set_data(Tensor(W)); net.bias.set_data(Tensor(B))
    return net

OPT = {
 "adam": ("Adam", dict(lr=0.01, weight_decay=0.1)),
 "adam_max": ("Adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, maximize=True)),
 "adamw": ("AdamW", dict(lr=0.01, weight_decay=0.1)),
 "adamw_ams": ("AdamW", dict(lr=0.05, weight_decay=0.05, amsgrad=True, maximize=True)),
 "sgd": ("SGD", dict(lr=0.1)),
 "sgd_mom": ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
 "sgd_nesterov": ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, maximize=True)),
}

def run(name, kind, kw, groups=False, sched=None):
    net = net_()
    params = net.trainable_params()
    if groups:
        params = [{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "weight_decay": 0.0}]
    opt = getattr(optim, kind)(params, **kw)
    s = sched(opt) if sched else None
    loss_fn = nn.MSELoss()
    def fwd(x, y):
        return loss_fn(net(x), y)
    grad_fn = ms.value_and_grad(fwd, None, opt.parameters)
    out = []
    for _ in range(4):
        loss, grads = grad_fn(Tensor(X), Tensor(Y))
        opt(grads)
        if s: s.step()
        out.append({"loss": float(loss), "weight": net.weight.asnumpy().tolist(), "bias": net.bias.asnumpy().tolist()})
    return out

ref = {"W": W.tolist(), "B": B.tolist(), "X": X.tolist(), "Y": Y.tolist(), "optimizers": {}, "schedulers": {}}
for name, (kind, kw) in OPT.items():
    ref["optimizers"][name] = {"class": kind, "kwargs": {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()},
                               "steps": run(name, kind, kw)}
ref["optimizers"]["adam_groups_steplr"] = {"class": "Adam", "kwargs": {"lr": 0.01, "weight_decay": 0.01},
    "groups": True, "steps": run("g", "Adam", dict(lr=0.01, weight_decay=0.01), True, lambda o: L.StepLR(o, 2, 0.5))}
ref["optimizers"]["sgd_groups"] = {"class": "SGD", "kwargs": {"lr": 0.01, "momentum": 0.9},
    "groups": True, "steps": run("g", "SGD", dict(lr=0.01, momentum=0.9), True)}

SCHED = {
 "StepLR": lambda o: L.StepLR(o, step_size=3, gamma=0.5),
 "MultiStepLR": lambda o: L.MultiStepLR(o, milestones=[2, 5, 5, 8], gamma=0.5),
 "ExponentialLR": lambda o: L.ExponentialLR(o, gamma=0.9),
 "ConstantLR": lambda o: L.ConstantLR(o, factor=0.5, total_iters=4),
 "LinearLR": lambda o: L.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=6),
 "PolynomialLR": lambda o: L.PolynomialLR(o, total_iters=6, power=2.0),
 "LambdaLR": lambda o: L.LambdaLR(o, lr_lambda=[lambda e: 0.95 ** e, lambda e: 1.0 / (e + 1)]),
 "MultiplicativeLR": lambda o: L.MultiplicativeLR(o, lr_lambda=lambda e: 0.9),
 "CosineAnnealingLR": lambda o: L.CosineAnnealingLR(o, T_max=5, eta_min=0.001),
 "CyclicLR": lambda o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=2, mode="triangular2"),
 "CosineAnnealingWarmRestarts": lambda o: L.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001),
 "SequentialLR": lambda o: L.SequentialLR(o, [L.ConstantLR(o, factor=0.1, total_iters=2), L.ExponentialLR(o, gamma=0.9)], milestones=[3]),
}
for name, make in SCHED.items():
    net = net_()
    p = net.trainable_params()
    opt = optim.SGD([{"params": [p[0]]}, {"params": [p[1]], "lr": 0.05}], lr=0.1)
    s = make(opt)
    seq = [[float(v) for v in s.get_last_lr()]]
    for _ in range(13):
        s.step()
        seq.append([float(v) for v in s.get_last_lr()])
    ref["schedulers"][name] = seq
# ReduceLROnPlateau
net = net_(); opt = optim.SGD(net.trainable_params(), lr=0.1)
s = L.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1, min_lr=0.02)
seq = []
for m in [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.9, 0.9, 0.9, 0.9]:
    s.step(m); seq.append([float(v) for v in s.get_last_lr()])
ref["schedulers"]["ReduceLROnPlateau"] = seq
json.dump(ref, open(sys.argv[1], "w"), indent=1)
print("ok")
