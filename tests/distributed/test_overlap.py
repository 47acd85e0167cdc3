"""The overlap schedule of the gradient all-reduces, in one process (a world of one runs the same graph):
each bucket's ``AllReduceStart`` right after its last gradient, inside the backward, and its ``AllReduceWait``
right before the optimizer reads it; the CPU step runs the launches in that order; with the pass disabled the
numbers are the same. Plus the rank helpers: per-rank folders, the step-count check, ``[rank R]`` logs."""

import logging

import numpy as np
import pytest

import minispore as ms
from minispore import communication, nn
from minispore.runtime.communication import ranks


@pytest.fixture(autouse=True)
def _clean():
    yield
    ms.reset_auto_parallel_context()
    ms.set_context(disabled_passes=[])
    communication.release()


def _train(disabled=()):
    ms.set_context(disabled_passes=list(disabled))
    communication.init()
    # one bucket per layer (split at parameter indices 2 and 4): three messages, the last layer's first
    ms.set_auto_parallel_context(parallel_mode="data_parallel", gradients_mean=True, all_reduce_fusion_config=[2, 4])
    ms.set_seed(1)
    net = nn.SequentialCell([nn.Dense(6, 8), nn.ReLU(), nn.Dense(8, 8), nn.ReLU(), nn.Dense(8, 3)])
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.Momentum(net.trainable_params(), 0.1, 0.9))
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 6)).astype(np.float32), rng.standard_normal((5, 3)).astype(np.float32)
    losses = [float(step(ms.Tensor(x), ms.Tensor(y)).asnumpy()) for _ in range(3)]
    return losses, [p.asnumpy() for p in net.trainable_params()], step


def test_each_bucket_starts_after_its_last_gradient_and_waits_before_the_optimizer():
    _, _, step = _train()
    nodes = step.compiled_graph().nodes
    pos = {n.id: k for k, n in enumerate(nodes)}
    starts = [n for n in nodes if n.op == "AllReduceStart"]
    waits = [n for n in nodes if n.op == "AllReduceWait"]
    assert len(starts) == len(waits) == 3
    for s in starts:  # nothing between the bucket's last input and its launch
        assert pos[s.id] == max(pos[i.id] for i in s.inputs) + 1, s
    users = step.compiled_graph().users()
    for w in waits:  # the next launch reads the result
        assert nodes[pos[w.id] + 1] in users[w.id], w
    # overlap: the first bucket's message is launched while backward still has work to do (its last
    # gradient's producers, e.g. the first layer's MatMul, come after it) and is waited on after all starts
    first, last_start = min(pos[s.id] for s in starts), max(pos[s.id] for s in starts)
    assert any(n.op == "MatMul" for n in nodes[first:last_start]), [n.op for n in nodes[first:last_start]]
    assert min(pos[w.id] for w in waits) > last_start


def test_the_cpu_step_launches_in_the_scheduled_order():
    _, _, step = _train()
    source = step._compile_cache.last.plan.source
    order = [line.split()[2] for line in source.splitlines() if line.strip().startswith("# %")]
    assert order.count("AllReduceStart") == 3
    assert order.index("AllReduceStart") < len(order) - 1 - order[::-1].index("MatMul")  # inside the backward


def test_the_blocking_schedule_gives_the_same_numbers():
    losses, params, _ = _train()
    want_losses, want_params, step = _train(disabled=["overlap_collectives"])
    np.testing.assert_array_equal(losses, want_losses)
    for a, b in zip(params, want_params):
        np.testing.assert_array_equal(a, b)
    nodes = step.compiled_graph().nodes
    assert min(k for k, n in enumerate(nodes) if n.op == "AllReduceStart") > max(
        k for k, n in enumerate(nodes) if n.op == "MatMul")  # traced order: after the whole backward


def test_per_rank_folders_and_rank_zero_callbacks(tmp_path):
    assert ranks.names_rank(str(tmp_path / "rank_1"), 1) and ranks.names_rank("./ckpt_1/x", 1)
    assert not ranks.names_rank("./ckpt_11", 1) and not ranks.names_rank(str(tmp_path / "ckpt"), 1)
    ckpt = ms.train.ModelCheckpoint(directory=str(tmp_path / "rank_0"))
    assert ckpt.per_rank  # rank 0 of a world of one
    assert ranks.callbacks_of_this_rank([ckpt]) == [ckpt]


def test_step_counts_are_checked_only_with_several_ranks():
    ranks.check_same_steps(5)  # a world of one: nothing to compare


def test_log_lines_carry_the_rank(caplog):
    ranks.install_rank_logging(3)
    try:
        with caplog.at_level(logging.WARNING, logger="minispore"):
            logging.getLogger("minispore").warning("hello %s", "there")
        assert "[rank 3] hello there" in caplog.text
    finally:
        ranks.remove_rank_logging()
