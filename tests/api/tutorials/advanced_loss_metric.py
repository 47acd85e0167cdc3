import time
import numpy as np
import minispore as ms
import minispore.dataset as ds
from minispore import nn, ops, train, Tensor
from minispore.common.initializer import Normal
from minispore.train import LossMonitor, Callback, Model

# ---- loss page
class MAELoss(nn.LossBase):
    def __init__(self, reduction="mean"):
        super(MAELoss, self).__init__(reduction)
        self.abs = ops.Abs()

    def construct(self, base, target):
        x = self.abs(base - target)
        return self.get_loss(x)

def get_data(num, w=2.0, b=3.0):
    rng = np.random.default_rng(0)
    for _ in range(num):
        x = rng.uniform(-10.0, 10.0)
        noise = rng.normal(0, 1)
        y = x * w + b + noise
        yield np.array([x]).astype(np.float32), np.array([y]).astype(np.float32)

def create_dataset(num_data, batch_size=16):
    dataset = ds.GeneratorDataset(list(get_data(num_data)), column_names=['data', 'label'])
    dataset = dataset.batch(batch_size)
    return dataset

class LinearNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(1, 1, Normal(0.02), Normal(0.02))

    def construct(self, x):
        return self.fc(x)

loss = MAELoss()
print(loss(Tensor([[1.0, 2.0], [3.0, 4.0]]), Tensor([[1.5, 2.0], [2.0, 6.0]])))
print(MAELoss("sum")(Tensor([[1.0, 2.0]]), Tensor([[1.5, 4.0]])), MAELoss("none")(Tensor([1.0, 2.0]), Tensor([1.5, 4.0])))
ds_train = create_dataset(num_data=160)
net = LinearNet()
opt = nn.Momentum(net.trainable_params(), learning_rate=0.005, momentum=0.9)
model = ms.train.Model(net, loss, opt)
model.train(epoch=1, train_dataset=ds_train, callbacks=[LossMonitor()])

def get_multilabel_data(num, w=2.0, b=3.0):
    rng = np.random.default_rng(1)
    for _ in range(num):
        x = rng.uniform(-10.0, 10.0)
        noise1 = rng.normal(0, 1)
        noise2 = rng.normal(-1, 1)
        y1 = x * w + b + noise1
        y2 = x * w + b + noise2
        yield np.array([x]).astype(np.float32), np.array([y1]).astype(np.float32), np.array([y2]).astype(np.float32)

def create_multilabel_dataset(num_data, batch_size=16):
    dataset = ds.GeneratorDataset(list(get_multilabel_data(num_data)), column_names=['data', 'label1', 'label2'])
    dataset = dataset.batch(batch_size)
    return dataset

class MAELossForMultiLabel(nn.LossBase):
    def __init__(self, reduction="mean"):
        super(MAELossForMultiLabel, self).__init__(reduction)
        self.abs = ops.Abs()

    def construct(self, base, target1, target2):
        x1 = self.abs(base - target1)
        x2 = self.abs(base - target2)
        return (self.get_loss(x1) + self.get_loss(x2))/2

class CustomWithLossCell(nn.Cell):
    def __init__(self, backbone, loss_fn):
        super(CustomWithLossCell, self).__init__(auto_prefix=False)
        self._backbone = backbone
        self._loss_fn = loss_fn

    def construct(self, data, label1, label2):
        output = self._backbone(data)
        return self._loss_fn(output, label1, label2)

ds_train = create_multilabel_dataset(num_data=160)
net = LinearNet()
loss = MAELossForMultiLabel()
loss_net = CustomWithLossCell(net, loss)
opt = nn.Momentum(net.trainable_params(), learning_rate=0.005, momentum=0.9)
model = ms.train.Model(network=loss_net, optimizer=opt)
model.train(epoch=1, train_dataset=ds_train, callbacks=[LossMonitor()])

# ---- metric page
class MyMAE(train.Metric):
    def __init__(self):
        super(MyMAE, self).__init__()
        self.clear()

    def clear(self):
        self.abs_error_sum = 0
        self.samples_num = 0

    def update(self, *inputs):
        y_pred = inputs[0].asnumpy()
        y = inputs[1].asnumpy()
        error_abs = np.abs(y.reshape(y_pred.shape) - y_pred)
        self.abs_error_sum += error_abs.sum()
        self.samples_num += y.shape[0]

    def eval(self):
        return self.abs_error_sum / self.samples_num

x = Tensor(np.array([[0.1, 0.2, 0.6, 0.9], [0.1, 0.2, 0.6, 0.9]]), ms.float32)
y = Tensor(np.array([[0.1, 0.25, 0.7, 0.9], [0.1, 0.25, 0.7, 0.9]]), ms.float32)
error = MyMAE()
error.clear()
error.update(x, y)
result = error.eval()
print(result)

x = Tensor(np.array([[0.2, 0.5], [0.3, 0.1], [0.9, 0.6]]), ms.float32)
y = Tensor(np.array([1, 0, 1]), ms.float32)
metric = train.Accuracy()
metric.clear()
metric.update(x, y)
accuracy = metric.eval()
print('Accuracy is ', accuracy)
metric = train.Accuracy('multilabel')
metric.update(Tensor(np.array([[0, 1, 0], [1, 1, 0]])), Tensor(np.array([[0, 1, 0], [1, 0, 0]])))
print(metric.eval())

net = nn.Dense(1, 1, weight_init="ones", bias_init="zeros")
ds_eval = create_dataset(num_data=32)
model = Model(net, nn.L1Loss(), metrics={"MAE": MyMAE(), "mae": train.MAE(), "Loss": train.Loss()})
print(model.eval(ds_eval))
model = Model(net, nn.L1Loss(), metrics={'mae', 'loss', 'mse'})
print(sorted(model.eval(ds_eval).items()))

