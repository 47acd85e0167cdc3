"""Bad input gets a clear error, never a crash or silent wrong numbers (a start of the corpus: learning
rates, the compile cache)."""

import logging
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn


@pytest.mark.parametrize("lr", [float("nan"), float("inf"), -0.1, [0.1, float("nan")]])
@pytest.mark.parametrize("make", [lambda ps, lr: nn.Momentum(ps, lr, 0.9), lambda ps, lr: nn.Adam(ps, lr)])
def test_non_finite_or_negative_learning_rates_are_refused(make, lr):
    with pytest.raises(ValueError, match="learning.rate"):
        make(nn.Dense(2, 2).trainable_params(), lr)


def _train_once(shape=(4, 3)):
    net = nn.Dense(shape[1], 2)
    train = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.Momentum(net.trainable_params(), 0.1, 0.9))
    return float(train(Tensor(np.ones(shape, np.float32)), Tensor(np.zeros((shape[0], 2), np.float32))).asnumpy())


def test_unwritable_compile_cache_falls_back_with_a_warning(tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    ms.set_context(compile_cache_dir=str(blocker / "cache"))
    try:
        with caplog.at_level(logging.WARNING, logger="minispore"):
            loss = _train_once((5, 7))  # a new graph: its plan module must be written somewhere
    finally:
        ms.set_context(compile_cache_dir=None)
    assert np.isfinite(loss)
    assert any("cannot be written" in r.getMessage() for r in caplog.records)


SCRIPT = textwrap.dedent("""
    import logging, sys
    import numpy as np
    import minispore as ms
    from minispore import Tensor, nn
    logging.basicConfig(level=logging.WARNING)
    ms.set_context(compile_cache_dir=sys.argv[1])
    net = nn.Dense(3, 2, weight_init="ones", bias_init="zeros")
    train = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.SGD(net.trainable_params(), 0.1))
    print(float(train(Tensor(np.ones((4, 3), np.float32)), Tensor(np.zeros((4, 2), np.float32))).asnumpy()))
""")


def test_corrupted_compile_cache_entry_is_detected_and_rebuilt(tmp_path):
    cache = tmp_path / "cache"
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)

    def run():
        return subprocess.run([sys.executable, str(script), str(cache)], capture_output=True, text=True, timeout=600,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})

    first = run()
    assert first.returncode == 0, first.stderr
    plans = sorted(p for p in cache.iterdir() if p.name.startswith("plan_") and p.suffix == ".py")
    assert plans
    text = plans[0].read_text()
    plans[0].write_text(text[: len(text) // 2])  # truncated mid-file, as a crash during a copy would leave it
    second = run()
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout  # the same loss: the entry was rebuilt, not half-used
    assert "does not match its source" in second.stderr
    assert plans[0].read_text() == text


def test_class_label_out_of_range_is_an_error_naming_the_users_line():
    loss_fn = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    net = nn.Dense(4, 3)
    train = nn.TrainOneStepCell(nn.WithLossCell(net, loss_fn), nn.SGD(net.trainable_params(), 0.1))
    x = Tensor(np.ones((2, 4), np.float32))
    assert np.isfinite(train(x, Tensor(np.array([0, 2], np.int32))).asnumpy())
    before = net.weight.asnumpy().copy()
    for bad in ([0, 3], [-1, 0]):
        with pytest.raises(ValueError, match=r"label is out of range \[0, num_classes\)") as err:
            train(x, Tensor(np.array(bad, np.int32)))
        assert "while running the compiled graph" in str(err.value)
    np.testing.assert_array_equal(net.weight.asnumpy(), before)  # no update from the failed steps
    with pytest.raises(ValueError, match="out of range"):  # the same check outside a compiled graph
        loss_fn(Tensor(np.ones((2, 3), np.float32)), Tensor(np.array([0, 5], np.int32)))
