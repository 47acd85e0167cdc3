"""The benchmark workloads, written once per framework (minispore, PyTorch eager, JAX ``jit``).

Every builder returns ``(step, finish)``: ``step()`` runs one training step (or one optimizer update)
and returns the framework's loss object; ``finish(result)`` turns the last result into a Python float,
which forces any pending work (PyTorch: ``.item()`` once at the end; JAX: each step already blocks on
its outputs). Shapes and dtypes match across frameworks (float32 data, int32/int64 labels); initial
weights do not.

    A  LeNet-5 (examples/lenet.py), batch 32x1x32x32, sparse softmax CE (mean), Momentum(0.01, 0.9)
    B  MLP 784-512-512-10 (ReLU), batch 128, Adam(1e-3), sparse softmax CE (mean)
    C  the same MLP at batch 1024
    D  Adam update alone over 10 float32 tensors of 1M elements each (lr 1e-3)

Thread counts are the caller's business: put ``startup.thread_env(n)`` in the environment before numpy,
torch or jax is first imported.
"""

import functools
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MLP_SIZES = (784, 512, 512, 10)
ADAM_TENSORS, ADAM_SIZE = 10, 1 << 20

WORKLOADS = {
    "A": {"title": "LeNet-5 train step, batch 32", "kind": "lenet", "batch": 32, "steps": 200},
    "B": {"title": "MLP 784-512-512-10 train step, batch 128, Adam", "kind": "mlp", "batch": 128, "steps": 100},
    "C": {"title": "MLP 784-512-512-10 train step, batch 1024, Adam", "kind": "mlp", "batch": 1024, "steps": 20},
    "D": {"title": "Adam update, 10 x 1M float32", "kind": "adam", "batch": None, "steps": 20},
    # minispore only: the C step with amp_level="O2" (float16 network, dynamic loss scale), against C's O0
    "E": {"title": "MLP 784-512-512-10 train step, batch 1024, Adam, amp O2", "kind": "mlp", "batch": 1024,
          "steps": 20, "amp": "O2"},
}
FRAMEWORKS = ("minispore", "torch", "jax")
INFO = {}  # notes the builders leave for the report (which torch Adam variant ran)
LABELS = {"minispore": "minispore", "torch": "PyTorch eager", "jax": "JAX jit"}


def mlp_flops(batch):
    """FLOPs of one MLP train step: 2*M*N*K per forward matmul, twice that for its backward (dX and dW)."""
    fwd = sum(2 * batch * k * n for k, n in zip(MLP_SIZES[:-1], MLP_SIZES[1:]))
    return 3 * fwd


def adam_bytes():
    """Bytes an Adam update moves: reads param, grad, m, v and writes param, m, v (7 float32 per element)."""
    return 7 * 4 * ADAM_TENSORS * ADAM_SIZE


def make_data(kind, batch):
    rng = np.random.default_rng(0)
    shape = (batch, 1, 32, 32) if kind == "lenet" else (batch, MLP_SIZES[0])
    return rng.random(shape, dtype=np.float32), rng.integers(0, 10, batch).astype(np.int32)


def adam_grads():
    rng = np.random.default_rng(0)
    return [rng.standard_normal(ADAM_SIZE, dtype=np.float32) for _ in range(ADAM_TENSORS)]


def build(framework, name, cache_dir=None, batch=None):
    """``(step, finish)`` for workload ``name`` in ``framework`` (ImportError when it is not installed);
    ``cache_dir`` is minispore's compile_cache_dir, ``batch`` overrides the workload's batch size (on the CPU;
    gpu_suite.py calls ``minispore_workload`` with device_target="GPU")."""
    spec = dict(WORKLOADS[name])
    if batch is not None:
        spec["batch"] = batch
    return {"minispore": _minispore, "torch": _torch, "jax": _jax}[framework](spec, cache_dir)


# ----------------------------------------------------------------------------------------- minispore
def _minispore(spec, cache_dir):
    return minispore_workload(spec, cache_dir, "CPU")


def minispore_workload(spec, cache_dir, device_target):
    """``(step, finish)`` of workload ``spec`` on minispore's ``device_target``."""
    import minispore as ms
    from minispore import Parameter, Tensor, nn

    ms.set_context(mode=ms.GRAPH_MODE, device_target=device_target)
    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))  # (the suite's thread_env sets it for every framework)
    if device_target == "CPU" and threads > 1:  # more than one core: minispore's opt-in parallel kernels
        ms.set_context(cpu_parallel=True, cpu_threads=threads)
    if cache_dir:
        ms.set_context(compile_cache_dir=cache_dir)
    if spec["kind"] == "adam":
        params = [Parameter(Tensor(np.zeros(ADAM_SIZE, np.float32)), name=f"p{i}") for i in range(ADAM_TENSORS)]
        opt = nn.Adam(params, learning_rate=1e-3)
        grads = tuple(Tensor(g) for g in adam_grads())
        return (lambda: opt(grads)), (lambda _: float(params[0].asnumpy()[0]))
    if spec["kind"] == "lenet":
        examples = os.path.normpath(os.path.join(HERE, "..", "examples"))
        if examples not in sys.path:
            sys.path.insert(0, examples)
        from lenet import LeNet5  # the very network of examples/lenet.py

        net = LeNet5()
        opt = nn.Momentum(net.trainable_params(), 0.01, 0.9)
    else:
        layers = []
        for k, n in zip(MLP_SIZES[:-1], MLP_SIZES[1:]):
            layers += [nn.Dense(k, n), nn.ReLU()]
        net = nn.SequentialCell(layers[:-1])
        opt = nn.Adam(net.trainable_params(), learning_rate=1e-3)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    if spec.get("amp"):
        from minispore.amp import build_train_network

        train = build_train_network(net, opt, loss, level=spec["amp"])
    else:
        train = nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)
    x, y = (Tensor(a) for a in make_data(spec["kind"], spec["batch"]))

    def finish(out):
        INFO["arena MiB"] = round(train._compile_cache.last.plan.stats()["arena_bytes"] / 2**20, 2)
        return float((out[0] if isinstance(out, tuple) else out).asnumpy())

    return (lambda: train(x, y)), finish


# -------------------------------------------------------------------------------------------- torch
def torch_adam(params):
    """``torch.optim.Adam(fused=True)`` where this torch supports it on CPU, else ``foreach=True``."""
    import torch

    try:
        opt = torch.optim.Adam(params, lr=1e-3, fused=True)
        opt.step()  # some versions reject fused CPU tensors only at the first step (grads are set by then)
        INFO["torch Adam"] = "fused=True"
    except (RuntimeError, TypeError, ValueError):
        opt = torch.optim.Adam(params, lr=1e-3, foreach=True)
        INFO["torch Adam"] = "foreach=True (fused=True failed on CPU)"
    return opt


def _torch(spec, cache_dir):
    import torch
    from torch import nn as tnn

    if spec["kind"] == "adam":
        params = [torch.zeros(ADAM_SIZE, requires_grad=True) for _ in range(ADAM_TENSORS)]
        for p, g in zip(params, adam_grads()):
            p.grad = torch.from_numpy(g)
        opt = torch_adam(params)
        return opt.step, (lambda _: params[0].detach()[0].item())
    if spec["kind"] == "lenet":
        net = _torch_lenet()
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    else:
        layers = []
        for k, n in zip(MLP_SIZES[:-1], MLP_SIZES[1:]):
            layers += [tnn.Linear(k, n), tnn.ReLU()]
        net = tnn.Sequential(*layers[:-1])
        for p in net.parameters():
            p.grad = torch.zeros_like(p)
        opt = torch_adam(list(net.parameters()))
    loss_fn = tnn.CrossEntropyLoss()
    x, y = make_data(spec["kind"], spec["batch"])
    tx, ty = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(tx), ty)
        loss.backward()
        opt.step()
        return loss

    return step, (lambda loss_: loss_.item())


def _torch_lenet():
    """examples/lenet.py's LeNet5 in PyTorch (convolutions without bias, as MindSpore's default)."""
    import torch
    from torch import nn as tnn

    class TorchLeNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(1, 6, 5, bias=False)
            self.conv2 = tnn.Conv2d(6, 16, 5, bias=False)
            self.fc1, self.fc2, self.fc3 = tnn.Linear(400, 120), tnn.Linear(120, 84), tnn.Linear(84, 10)
            self.pool = tnn.MaxPool2d(2, 2)

        def forward(self, v):
            v = self.pool(torch.relu(self.conv1(v)))
            v = self.pool(torch.relu(self.conv2(v)))
            v = torch.flatten(v, 1)
            return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(v)))))

    return TorchLeNet()


# ---------------------------------------------------------------------------------------------- jax
def _jax_init(shapes):
    import jax
    import jax.numpy as jnp

    keys = jax.random.split(jax.random.PRNGKey(0), len(shapes))
    out = {}
    for key, (name, shape) in zip(keys, shapes.items()):
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        out[name] = jax.random.uniform(key, shape, jnp.float32, -1.0, 1.0) / np.sqrt(fan_in)
    return out


def _jax_lenet(p, x):
    import jax

    def conv(v, w):
        return jax.lax.conv_general_dilated(v, w, (1, 1), "VALID", dimension_numbers=("NCHW", "OIHW", "NCHW"))

    def pool(v):
        return jax.lax.reduce_window(v, -np.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    v = pool(jax.nn.relu(conv(x, p["conv1"])))
    v = pool(jax.nn.relu(conv(v, p["conv2"])))
    v = v.reshape(v.shape[0], -1)
    v = jax.nn.relu(v @ p["fc1.w"].T + p["fc1.b"])
    v = jax.nn.relu(v @ p["fc2.w"].T + p["fc2.b"])
    return v @ p["fc3.w"].T + p["fc3.b"]


def _jax_mlp(p, x):
    import jax

    n = len(MLP_SIZES) - 1
    for i in range(n):
        x = x @ p[f"fc{i + 1}.w"].T + p[f"fc{i + 1}.b"]
        if i < n - 1:
            x = jax.nn.relu(x)
    return x


def _jax(spec, cache_dir):
    import jax
    import jax.numpy as jnp
    import optax

    if spec["kind"] == "adam":
        tx = optax.adam(1e-3)
        params = tuple(jnp.zeros(ADAM_SIZE, jnp.float32) for _ in range(ADAM_TENSORS))
        grads = tuple(jnp.asarray(g) for g in adam_grads())

        @functools.partial(jax.jit, donate_argnums=(0, 1))
        def update(params, state, grads):
            updates, state = tx.update(grads, state, params)
            return optax.apply_updates(params, updates), state

        holder = [params, tx.init(params)]

        def adam_step():
            holder[0], holder[1] = update(holder[0], holder[1], grads)
            return jax.block_until_ready(holder[0])

        return adam_step, (lambda _: float(holder[0][0][0]))
    if spec["kind"] == "lenet":
        shapes = {"conv1": (6, 1, 5, 5), "conv2": (16, 6, 5, 5)}
        for i, (k, n) in enumerate(((400, 120), (120, 84), (84, 10))):
            shapes[f"fc{i + 1}.w"], shapes[f"fc{i + 1}.b"] = (n, k), (n,)
        forward, tx = _jax_lenet, optax.sgd(0.01, momentum=0.9)
    else:
        shapes = {}
        for i, (k, n) in enumerate(zip(MLP_SIZES[:-1], MLP_SIZES[1:])):
            shapes[f"fc{i + 1}.w"], shapes[f"fc{i + 1}.b"] = (n, k), (n,)
        forward, tx = _jax_mlp, optax.adam(1e-3)
    params = _jax_init(shapes)

    def loss_fn(p, x, y):
        return optax.softmax_cross_entropy_with_integer_labels(forward(p, x), y).mean()

    @functools.partial(jax.jit, donate_argnums=(0, 1))
    def train(params, state, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    x, y = (jnp.asarray(a) for a in make_data(spec["kind"], spec["batch"]))
    holder = [params, tx.init(params)]

    def step():
        holder[0], holder[1], loss = train(holder[0], holder[1], x, y)
        return loss.block_until_ready()

    return step, (lambda loss_: float(loss_))


def versions(framework):
    """Library versions that matter for ``framework``'s numbers."""
    if framework == "minispore":
        import numba
        import scipy

        import minispore

        out = {"minispore": minispore.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
               "numba": numba.__version__}
        try:
            from threadpoolctl import threadpool_info

            blas = sorted({f"{i.get('internal_api')} {i.get('version')}" for i in threadpool_info()
                           if i.get("user_api") == "blas"})
            out["blas"] = ", ".join(blas)
        except ImportError:
            pass
        return out
    if framework == "torch":
        import torch

        return {"torch": torch.__version__}
    import jax
    import jaxlib
    import optax

    return {"jax": jax.__version__, "jaxlib": jaxlib.__version__, "optax": optax.__version__}
