import minispore as mindspore
from minispore import nn, ops

class Network(nn.Cell):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.dense_relu_sequential = nn.SequentialCell(
            nn.Dense(28*28, 512),
            nn.ReLU(),
            nn.Dense(512, 512),
            nn.ReLU(),
            nn.Dense(512, 10)
        )

    def construct(self, x):
        x = self.flatten(x)
        logits = self.dense_relu_sequential(x)
        return logits

model = Network()
print(model)
X = ops.ones((1, 28, 28), mindspore.float32)
logits = model(X)
print(logits.shape)
pred_probab = nn.Softmax(axis=1)(logits)
y_pred = pred_probab.argmax(1)
print(y_pred.shape, y_pred.dtype)

input_image = ops.ones((3, 28, 28), mindspore.float32)
print(input_image.shape)
flatten = nn.Flatten()
flat_image = flatten(input_image)
print(flat_image.shape)
layer1 = nn.Dense(in_channels=28*28, out_channels=20)
hidden1 = layer1(flat_image)
print(hidden1.shape)
hidden1 = nn.ReLU()(hidden1)
print(float(hidden1.min()) >= 0)
seq_modules = nn.SequentialCell(
    flatten,
    layer1,
    nn.ReLU(),
    nn.Dense(20, 10)
)
logits = seq_modules(input_image)
print(logits.shape)
softmax = nn.Softmax(axis=1)
pred_probab = softmax(logits)
print(pred_probab.sum(1).shape)
for name, param in model.parameters_and_names():
    print(f"Layer: {name}\nSize: {param.shape}\nValues : {param[:2].shape} \n")
print(model.trainable_params()[0])
print(model.trainable_params()[0].name, model.trainable_params()[0].requires_grad)
