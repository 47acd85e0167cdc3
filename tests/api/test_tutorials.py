"""MindSpore's beginner tutorials (tensors, model, save and load) and the advanced loss, metric, callback and
optimizer/learning-rate pages, as MindSpore's docs write the code with only ``import mindspore`` renamed
(tests/api/tutorials/*.py), on synthetic data. Each script's printed lines are compared with what MindSpore 2.10
printed running the same script on CPU (tests/api/tutorials/*.out, recorded with ``minispore`` replaced by
``mindspore``): numbers within a relative 1e-6 (MindSpore's own runs differ in the last float32 digit), a
``re:`` line is a regular expression (the training losses, which depend on MindSpore's random initial weights).

Where the scripts deviate from the docs: ``tensor1.init_data()`` is printed (MindSpore 2.10 prints an
``<uninitialized>`` placeholder for ``Tensor(init=...)`` until then), and the generators draw from
``np.random.default_rng`` with a seed so the data are the same in both runs."""

import contextlib
import io
import os
import re

import pytest

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tutorials")
SCRIPTS = sorted(f[:-3] for f in os.listdir(HERE) if f.endswith(".py"))
NUMBER = re.compile(r"-?\d+\.?\d*(?:e[-+]?\d+)?")


def _normalize(line):
    line = re.sub(r"<class '[\w.]*\.(\w+)'>", r"<class '\1'>", line.rstrip())  # mindspore.common.tensor.Tensor
    return re.sub(r"np\.(?:float|int)\d+\((.*?)\)", r"\1", line)  # numpy 2's scalar repr (MindSpore has numpy 1)


def _lines(text):
    return [_normalize(s) for s in text.splitlines() if s.strip() and not s.startswith("minispore: ")]


def _same(expected, got):
    if expected.startswith("re:"):
        return re.fullmatch(expected[3:], got) is not None
    if NUMBER.sub("#", expected) != NUMBER.sub("#", got):
        return False
    return all(float(a) == pytest.approx(float(b), rel=1e-6, abs=1e-9)
               for a, b in zip(NUMBER.findall(expected), NUMBER.findall(got)))


def _run(name, cwd):
    with open(os.path.join(HERE, name + ".py")) as f:
        code = compile(f.read(), f"{name}.py", "exec")
    out, old = io.StringIO(), os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out):
            exec(code, {"__name__": "__main__"})
    finally:
        os.chdir(old)
    return _lines(out.getvalue())


@pytest.mark.parametrize("name", SCRIPTS)
def test_tutorial_prints_what_mindspore_prints(name, tmp_path):
    got = _run(name, tmp_path)
    with open(os.path.join(HERE, name + ".out")) as f:
        expected = _lines(f.read())
    for i, (e, g) in enumerate(zip(expected, got)):
        assert _same(e, g), f"{name}.py, printed line {i + 1}: MindSpore printed {e!r}, minispore {g!r}"
    assert len(got) == len(expected), f"{name}.py printed {len(got)} lines, MindSpore {len(expected)}"


def test_the_comparison_is_strict():
    assert not _same("[0.1, 0.05]", "[0.1, 0.06]")
    assert not _same("Float64", "Float32")
    assert _same("0.1499999612569809", "0.14999996")
    assert _same("{'MAE': 5.601138591766357}", "{'MAE': np.float32(5.6011386)}".replace("np.float32(5.6011386)",
                                                                                         _normalize("np.float32(5.6011386)")))
