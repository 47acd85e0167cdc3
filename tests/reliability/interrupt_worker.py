"""Interrupts one training step at each of its lines in turn (a trace function sends SIGINT to this process
when the generated step reaches line k) and prints, per k, whether the step left the state as before it (B),
as after it (A) or half-updated (P). Run by test_interrupt.py in its own process, so SIGINT never reaches
pytest."""

import os
import signal
import sys

import numpy as np

from minispore import Tensor, nn
from minispore.nn.initializer import set_seed

OPTIMIZERS = {"Adam": lambda p: nn.Adam(p, 1e-2), "Momentum": lambda p: nn.Momentum(p, 0.1, 0.9),
              "ASGD": lambda p: nn.ASGD(p, 0.1)}


def state(cell):
    return {name: p.asnumpy().copy() for name, p in cell.parameters_and_names()}


def same(a, b):
    return all(np.array_equal(a[k], b[k]) for k in a)


def interrupt_at(k):
    """A trace function sending SIGINT at the k-th line the generated step runs; returns (tracer, count)."""
    count = [0]

    def local(frame, event, arg):
        if event == "line":
            count[0] += 1
            if count[0] - 1 == k:
                os.kill(os.getpid(), signal.SIGINT)
        return local

    def tracer(frame, event, arg):
        if frame.f_code.co_name == "step" and os.path.basename(frame.f_code.co_filename).startswith("plan_"):
            return local
        return None

    return tracer, count


def main(name):
    set_seed(1)
    net = nn.SequentialCell([nn.Dense(4, 8), nn.ReLU(), nn.Dense(8, 3)])
    train = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), OPTIMIZERS[name](net.trainable_params()))
    x, y = Tensor(np.ones((2, 4), np.float32)), Tensor(np.zeros((2, 3), np.float32))
    train(x, y)
    before = state(train)
    train(x, y)
    after = state(train)
    params = dict(train.parameters_and_names())
    outcomes, k = [], 0
    while True:
        for pname, value in before.items():
            params[pname].set_data(Tensor(value))
        tracer, count = interrupt_at(k)
        sys.settrace(tracer)
        try:
            train(x, y)
            interrupted = False
        except KeyboardInterrupt:
            interrupted = True
        finally:
            sys.settrace(None)
        if count[0] <= k:  # the step has fewer lines than k: every line was tried
            break
        now = state(train)
        outcomes.append("B" if same(now, before) else "A" if same(now, after) else "P")
        if not interrupted:
            outcomes[-1] = "!"  # SIGINT was lost: never acceptable either
        k += 1
    print("".join(outcomes))


if __name__ == "__main__":
    main(sys.argv[1])
