import os
import time
import numpy as np
import minispore as ms
import minispore.dataset as ds
from minispore import nn, ops, train, Tensor
from minispore.common.initializer import Normal
from minispore.train import LossMonitor, Callback, Model

# ---- from the loss page: the data and the network
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

# ---- callback page
class StopAtStep(Callback):
    def __init__(self, stop_step):
        super(StopAtStep, self).__init__()
        self.stop_step = stop_step

    def on_train_begin(self, run_context):
        cb_params = run_context.original_args()
        cb_params.init_time = time.time()

    def on_train_step_end(self, run_context):
        cb_params = run_context.original_args()
        epoch_num = cb_params.cur_epoch_num
        step_num = cb_params.cur_step_num
        loss = cb_params.net_outputs
        if step_num == self.stop_step:
            print(f"Stop at step {step_num}.")
            print(f"epoch: {epoch_num}, step: {step_num}, loss is {type(loss).__name__} {loss.shape}")
            run_context.request_stop()

class SaveCkptMonitor(Callback):
    def __init__(self, loss):
        super(SaveCkptMonitor, self).__init__()
        self.loss = loss

    def on_train_step_end(self, run_context):
        cb_params = run_context.original_args()
        cur_loss = cb_params.net_outputs.asnumpy()
        if cur_loss < self.loss:
            file_name = "./best.ckpt"
            ms.save_checkpoint(save_obj=cb_params.train_network, ckpt_file_name=file_name)
            print("Saved checkpoint")
            run_context.request_stop()


net = LinearNet()
model = Model(net, nn.MSELoss(), nn.Momentum(net.trainable_params(), 0.005, 0.9))
model.train(3, create_dataset(160), callbacks=[StopAtStep(stop_step=4)], dataset_sink_mode=False)
model.train(3, create_dataset(160), callbacks=[SaveCkptMonitor(1e9)])
print(os.path.exists("best.ckpt"))
config_ck = train.CheckpointConfig(save_checkpoint_steps=5, keep_checkpoint_max=2)
ckpoint = train.ModelCheckpoint(prefix="linear", directory="./ckpt", config=config_ck)
model.train(1, create_dataset(160), callbacks=[ckpoint])
print(sorted(os.listdir("./ckpt")))

# ---- optimizer page
milestone = [1, 3, 10]
learning_rates = [0.1, 0.05, 0.01]
lr = nn.piecewise_constant_lr(milestone, learning_rates)
print(lr)
optim = nn.SGD(net.trainable_params(), learning_rate=lr)
learning_rate = 0.1
decay_rate = 0.9
decay_steps = 4
global_step = Tensor(2, ms.int32)
exponential_decay_lr = nn.ExponentialDecayLR(learning_rate, decay_rate, decay_steps)
result = exponential_decay_lr(global_step)
print(result)
print(nn.exponential_decay_lr(0.1, 0.9, 6, 2, 1))
print(nn.cosine_decay_lr(0.01, 0.1, 6, 2, 2))
print(nn.warmup_lr(0.1, 6, 2, 2))
print(nn.polynomial_decay_lr(0.1, 0.01, 6, 2, 2, 0.5))
print(nn.inverse_decay_lr(0.1, 0.5, 6, 2, 1, True))
print(nn.natural_exp_decay_lr(0.1, 0.5, 6, 2, 2))
print(nn.CosineDecayLR(0.01, 0.1, 4)(Tensor(2, ms.int32)))
print(nn.PolynomialDecayLR(0.1, 0.01, 4, 0.5)(Tensor(2, ms.int32)))
print(nn.WarmUpLR(0.1, 4)(Tensor(2, ms.int32)))
net = nn.SequentialCell(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Dense(2 * 4 * 4, 3))
conv_params = list(filter(lambda x: x.name.startswith('0.'), net.trainable_params()))
no_conv_params = list(filter(lambda x: not x.name.startswith('0.'), net.trainable_params()))
fix_lr = 0.01
polynomial_decay_lr = nn.PolynomialDecayLR(learning_rate=0.1, end_learning_rate=0.01, decay_steps=4, power=0.5)
group_params = [{'params': conv_params, 'weight_decay': 0.01, 'lr': fix_lr},
                {'params': no_conv_params, 'lr': polynomial_decay_lr},
                {'order_params': net.trainable_params()}]
optim = nn.Momentum(group_params, learning_rate=0.1, momentum=0.9, weight_decay=0.0)
print(len(optim.parameters), optim.is_group_lr)
