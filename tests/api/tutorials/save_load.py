import numpy as np
import minispore as mindspore
from minispore import nn
from minispore import Tensor

def network():
    model = nn.SequentialCell(
                nn.Flatten(),
                nn.Dense(28*28, 512),
                nn.ReLU(),
                nn.Dense(512, 512),
                nn.ReLU(),
                nn.Dense(512, 10))
    return model


model = network()
mindspore.save_checkpoint(model, "model.ckpt")
model = network()
param_dict = mindspore.load_checkpoint("model.ckpt")
param_not_load, _ = mindspore.load_param_into_net(model, param_dict)
print(param_not_load)
print(sorted(param_dict))
print(type(param_dict["1.weight"]).__name__, param_dict["1.weight"].shape)
m2 = network()
print(np.array_equal(model[1].weight.asnumpy(), param_dict["1.weight"].asnumpy()))
mindspore.save_checkpoint(model.trainable_params(), "list.ckpt")
print(sorted(mindspore.load_checkpoint("list.ckpt")) == sorted(param_dict))
mindspore.save_checkpoint(model, "extra.ckpt", append_dict={"epoch_num": 5, "lr": 0.01})
pd = mindspore.load_checkpoint("extra.ckpt")
print(pd["epoch_num"], pd["epoch_num"].dtype)
del pd["1.bias"]
print(mindspore.load_param_into_net(m2, pd))
print(mindspore.load_param_into_net(m2, param_dict, strict_load=True))
