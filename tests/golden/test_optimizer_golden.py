"""Golden optimizer cases: each optimizer driven with fixed gradients for a few steps through the
public API (``opt(grads)``) must reproduce MindSpore's parameters, learning rates and errors."""

import os

import numpy as np
import pytest

from golden.helpers import array, case_files, load
from golden.optimizer_cases import (
    DOCUMENTED_DEVIATIONS,
    grads_at,
    lr_as_dict,
    make_optimizer,
    make_params,
    optimizer_state,
)

FILES = [f for f in case_files("optimizer") if os.path.basename(f)[:-5] not in DOCUMENTED_DEVIATIONS]
ADAM_FAMILY = ("adam", "lazyadam", "adamax", "adamoffload", "adamweightdecay", "adafactor")


def _rtol(name):
    return 1e-4 if name.startswith(ADAM_FAMILY) else 1e-5


@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(f)[:-5] for f in FILES])
def test_optimizer_case(path):
    case = load(path)
    exp = case["expected"]
    params = make_params(case)
    opt = make_optimizer(case, params)
    order = [p.name for p in opt.parameters]
    assert order == exp["optimizer_param_order"]
    rtol = _rtol(case["name"])
    error = exp.get("error")
    for step in range(case["inputs"]["num_steps"]):
        grads = grads_at(case, step, order)
        if error is not None and step == error["step"]:
            with pytest.raises(Exception) as info:
                opt(grads)
            assert type(info.value).__name__ in (error["type"], "ValueError", "IndexError")
            break
        want_lr = exp["lr"][step]
        if want_lr is not None:
            got_lr = lr_as_dict(opt, order)
            if isinstance(want_lr, dict):
                for name in order:
                    np.testing.assert_allclose(got_lr[name], want_lr[name], rtol=1e-6, err_msg=f"lr {name}")
            else:
                np.testing.assert_allclose(got_lr, want_lr, rtol=1e-6, err_msg="lr")
        opt(grads)
        for name, value in exp["params"][step].items():
            np.testing.assert_allclose(params[name].asnumpy(), array(value), rtol=rtol, atol=1e-6,
                                       err_msg=f"step {step + 1}, {name}")
    assert int(opt.global_step.asnumpy().reshape(-1)[0]) == exp["global_step"]


@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(f)[:-5] for f in FILES])
def test_optimizer_final_state(path):
    """Moments, accumulators, beta powers, step counters: MindSpore's names, shapes and values after
    the run (learning-rate Parameters are named differently and checked through get_lr above)."""
    case = load(path)
    params = make_params(case)
    opt = make_optimizer(case, params)
    order = [p.name for p in opt.parameters]
    steps = case["expected"].get("error", {}).get("step", case["inputs"]["num_steps"])
    for step in range(steps):
        opt(grads_at(case, step, order))
    want = {k: v for k, v in case["expected"]["final_state"].items() if not k.startswith("learning_rate")}
    got = {k: v for k, v in optimizer_state(opt).items() if not k.startswith("learning_rate")}
    assert sorted(got) == sorted(want)
    for name, value in want.items():
        expected = array(value)
        actual = got[name].asnumpy()
        assert actual.shape == expected.shape, name
        np.testing.assert_allclose(actual.astype(np.float64), expected, rtol=1e-4, atol=1e-6, err_msg=name)
