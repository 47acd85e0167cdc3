"""The Ascend 910 cost model (backends/ascend/cost_model.py) on LeNet-5 and ResNet-50, against a published figure.

  * LeNet-5, batch 32: compiled and run for one step on the Ascend target; prints the dump summary's estimate.
  * ResNet-50 v1.5, batch 256, 224x224, Momentum: the training step is traced and put through the Ascend
    pipeline's passes (nothing is allocated or run: a CPU step would take minutes), then estimated, both as
    an fp32 graph under the 910's default precision mode (allow_fp32_to_fp16) and with amp O2 (float16
    network, float32 BatchNorm: MindSpore's "Mixed" setting). Also the FLOP-only bound: ResNet-50's often
    quoted "4.1 GFLOPs" per 224x224 image are multiply-adds (the traced graph counts 8.1 GFLOP per image per
    pass), so a step is 3 passes x 2 x 4.1e9 x batch FLOP at 256 TFLOPS.
  * Published: MindSpore's benchmark page gives 2115 images/s for ResNet-50 v1.5 at batch 256 on one Ascend 910,
    mixed precision (https://www.mindspore.cn/doc/note/en/r1.1/benchmark.html).

    python benchmarks/ascend_cost.py [--resnet-batch 256] [--no-resnet]
"""

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PUBLISHED_IMAGES_PER_S = 2115  # MindSpore 0.5.0-beta, 1 x Ascend 910, ResNet-50 v1.5, batch 256, mixed precision
RESNET50_FORWARD_MACS = 4.1e9  # multiply-adds per 224x224 image (He et al. 2015 call them "FLOPs")


def lenet(ms, nn, cost_model, cost_report):
    sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..", "examples")))
    from lenet import LeNet5

    net = LeNet5()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    train = nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.Momentum(net.trainable_params(), 0.01, 0.9))
    x = ms.Tensor(np.random.default_rng(0).random((32, 1, 32, 32), np.float32))
    y = ms.Tensor(np.arange(32, dtype=np.int32) % 10)
    train(x, y)
    graph = train.compiled_graph()
    print("== LeNet-5, batch 32, compiled on the Ascend target ==")
    print(cost_report.cost_text(graph))
    return cost_model.step_seconds(graph)


def resnet50(nn):
    """ResNet-50 v1.5 (stride on the 3x3 convolution), as MindSpore's model zoo builds it."""

    def conv(cin, cout, k, stride=1):
        return nn.Conv2d(cin, cout, k, stride=stride, pad_mode="same")

    class Bottleneck(nn.Cell):
        def __init__(self, cin, mid, stride):
            super().__init__()
            cout = mid * 4
            self.body = nn.SequentialCell([conv(cin, mid, 1), nn.BatchNorm2d(mid), nn.ReLU(),
                                           conv(mid, mid, 3, stride), nn.BatchNorm2d(mid), nn.ReLU(),
                                           conv(mid, cout, 1), nn.BatchNorm2d(cout)])
            self.down = None
            if stride != 1 or cin != cout:
                self.down = nn.SequentialCell([conv(cin, cout, 1, stride), nn.BatchNorm2d(cout)])
            self.relu = nn.ReLU()

        def construct(self, x):
            skip = x if self.down is None else self.down(x)
            return self.relu(self.body(x) + skip)

    layers = [conv(3, 64, 7, 2), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, pad_mode="same")]
    cin = 64
    for mid, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for b in range(blocks):
            layers.append(Bottleneck(cin, mid, stride if b == 0 else 1))
            cin = mid * 4

    class ResNet50(nn.Cell):
        def __init__(self):
            super().__init__()
            self.features = nn.SequentialCell(layers)
            self.fc = nn.Dense(2048, 1000)

        def construct(self, x):
            return self.fc(self.features(x).mean(axis=(2, 3)))

    return ResNet50()


def traced_step(ms, nn, batch, amp):
    """The ResNet-50 training step's graph after the Ascend target's passes (traced, never run)."""
    from minispore.graph import trace
    from minispore.graph.passes import run_passes
    from minispore.graph.tensor import Tensor
    from minispore.runtime.compiler import current_backend, flatten

    net = resnet50(nn)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), 0.1, 0.9, weight_decay=1e-4)
    if amp:
        from minispore.amp import build_train_network

        train = build_train_network(net, opt, loss, level="O2")
    else:
        train = nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)
    with trace.tracing("TrainOneStepCell") as tracer:
        x = Tensor._from_node(tracer.input_node((batch, 3, 224, 224), np.dtype(np.float32), 0))
        y = Tensor._from_node(tracer.input_node((batch,), np.dtype(np.int32), 1))
        outs = []
        flatten(train(x, y), outs)  # (loss) or, with a loss scale, (loss, overflow, scale)
        tracer.graph.outputs = [o._graph_node() for o in outs]
    return run_passes(tracer.graph, extra=current_backend().passes())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resnet-batch", type=int, default=256)
    ap.add_argument("--no-resnet", action="store_true")
    args = ap.parse_args()

    import minispore as ms
    from minispore import nn
    from minispore.backends.ascend import cost_model, cost_report

    ms.set_context(mode=ms.GRAPH_MODE, device_target="Ascend")
    t = lenet(ms, nn, cost_model, cost_report)
    print(f"LeNet-5 batch 32: {t * 1e6:.1f} us per step estimated, {32 / t:,.0f} images/s\n")
    if args.no_resnet:
        return
    b = args.resnet_batch
    flop_bound = 3 * 2 * RESNET50_FORWARD_MACS * b / cost_model.CUBE_FLOPS
    rows = [("FLOPs only: 3 passes x 8.2 GFLOP/image at 256 TFLOPS", flop_bound)]
    for amp in (False, True):
        graph = traced_step(ms, nn, b, amp)
        what = "amp O2 (float16 network, float32 BN)" if amp else "float32 graph, allow_fp32_to_fp16"
        print(f"== ResNet-50 v1.5, batch {b}, {what} ==")
        print(cost_report.cost_text(graph, top=10))
        rows.append((f"cost model, {what}", cost_model.step_seconds(graph)))
    published = b / PUBLISHED_IMAGES_PER_S
    print(f"ResNet-50 v1.5, batch {b}, one Ascend 910:")
    for name, t in rows + [("published (MindSpore benchmark page)", published)]:
        print(f"  {name:<58} {t * 1e3:8.1f} ms/step {b / t:8,.0f} images/s")


if __name__ == "__main__":
    main()
