#!/usr/bin/env python3
"""Writes the PyTorch side of tests/tutorials.rs: what `print(...)` shows for the tutorials'
models, for every layer init-candle has, and for a few fixed tensors and parameters.

Run from the repository root with a Python that has torch (CPU is enough):
    python tests/expected/gen.py
It rewrites tests/expected/{layers,tensors,net,c3d,mlp,children_vs_modules}.txt. Each file is a
list of sections, a line `### <name>` followed by the printed text. Only printing is compared,
so nothing here depends on PyTorch's random numbers.
"""
import os

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, sections):
    with open(os.path.join(HERE, name + ".txt"), "w") as f:
        for key, text in sections:
            f.write(f"### {key}\n{text}\n")


# --- layers: one construction each, named as the Rust test names them ------------------------
layers = [
    ("linear", nn.Linear(400, 120)),
    ("linear_no_bias", nn.Linear(3, 4, bias=False)),
    ("conv1d", nn.Conv1d(4, 6, 3, padding=1, groups=2, bias=False)),
    ("conv2d", nn.Conv2d(3, 6, 5)),
    ("conv2d_strided", nn.Conv2d(3, 8, 3, stride=2, padding=1, dilation=2)),
    ("conv_transpose1d", nn.ConvTranspose1d(4, 6, 3, stride=2)),
    ("conv_transpose2d", nn.ConvTranspose2d(4, 6, 3, stride=2)),
    ("conv3d", nn.Conv3d(3, 64, kernel_size=(3, 3, 3), padding=(1, 1, 1))),
    ("conv3d_no_bias", nn.Conv3d(4, 8, 3, stride=2, groups=2, bias=False)),
    ("batch_norm1d", nn.BatchNorm1d(6)),
    ("batch_norm2d", nn.BatchNorm2d(16)),
    ("batch_norm3d", nn.BatchNorm3d(8, eps=1e-3, momentum=0.01)),
    ("batch_norm2d_no_affine", nn.BatchNorm2d(6, affine=False)),
    ("layer_norm", nn.LayerNorm(8)),
    ("rms_norm", nn.RMSNorm(8, eps=1e-6)),
    ("group_norm", nn.GroupNorm(2, 6)),
    ("embedding", nn.Embedding(10, 3)),
    ("prelu", nn.PReLU()),
    ("lstm", nn.LSTM(10, 20, batch_first=True)),
    ("gru", nn.GRU(10, 20, num_layers=2, bias=False, batch_first=True, bidirectional=True)),
    ("relu", nn.ReLU()),
    ("tanh", nn.Tanh()),
    ("sigmoid", nn.Sigmoid()),
    ("leaky_relu", nn.LeakyReLU()),
    ("leaky_relu_02", nn.LeakyReLU(0.2)),
    ("softmax", nn.Softmax(dim=1)),
    ("softmax_last", nn.Softmax(dim=-1)),
    ("softmax_implicit", nn.Softmax()),
    ("flatten", nn.Flatten()),
    ("dropout", nn.Dropout(p=0.5)),
    ("dropout_01", nn.Dropout(0.1)),
    ("gelu", nn.GELU()),
    ("gelu_tanh", nn.GELU(approximate="tanh")),
    ("elu", nn.ELU()),
    ("silu", nn.SiLU()),
    ("max_pool2d_ints", nn.MaxPool2d(2, 2)),
    ("max_pool2d_tuples", nn.MaxPool2d((2, 2))),
    ("max_pool2d_padded", nn.MaxPool2d(3, stride=2, padding=1)),
    ("max_pool3d_tuples", nn.MaxPool3d(kernel_size=(1, 2, 2), stride=(1, 2, 2))),
    ("max_pool3d_mixed", nn.MaxPool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 1, 1))),
    ("max_pool3d_ints", nn.MaxPool3d(2)),
    ("sequential", nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 2))),
]
write("layers", [(k, repr(m)) for k, m in layers])


# --- tensors: values computed the same way in tests/tutorials.rs ------------------------------
def wave(n, dtype):
    """((i * 7919) % 2003 - 1001) / 5567 for i in 0..n, computed in f64, then cast."""
    return torch.tensor([((i * 7919) % 2003 - 1001) / 5567.0 for i in range(n)], dtype=torch.float64).to(dtype)


def between_3_and_5(n):
    """3 + ((i * 7919) % 2003) / 1001 in f64: like the tutorial's np.random.uniform(3, 5)."""
    return torch.tensor([3.0 + ((i * 7919) % 2003) / 1001.0 for i in range(n)], dtype=torch.float64)


tensors = [
    ("small", wave(15, torch.float32).reshape(3, 5)),
    ("summarized", wave(1200, torch.float32).reshape(40, 30)),
    ("float64_summarized", between_3_and_5(1200).reshape(40, 30)),
    ("float64_small", between_3_and_5(6).reshape(2, 3)),
    ("scientific", torch.tensor([1.0e-5, 0.5, -2.0, 123.25])),
    ("large_ints", torch.tensor([1.0, -2000.0, 3.0])),
    ("int_mode", torch.tensor([[1.0, 0.0, -3.0], [0.0, 12.0, 0.0]])),
    ("eye", torch.eye(3, 5)),
    ("zeros", torch.zeros(2, 3)),
    ("wrapped_vector", wave(40, torch.float32)),
    ("three_d", wave(24, torch.float32).reshape(2, 3, 4)),
    ("dirac", nn.init.dirac_(torch.empty(3, 16, 5, 5))),
    ("summarized_vector", wave(1500, torch.float32)),
    ("scalar", torch.tensor(0.5)),
    ("int64", torch.tensor([[1, -20, 300], [4, 5, 6]])),
    ("empty", torch.zeros(0)),
]
sections = [(k, repr(t)) for k, t in tensors]
sections += [
    ("parameter_small", repr(nn.Parameter(wave(15, torch.float32).reshape(3, 5)))),
    ("parameter_summarized", repr(nn.Parameter(wave(1200, torch.float32).reshape(40, 30)))),
    ("parameter_float64", repr(nn.Parameter(between_3_and_5(1200).reshape(40, 30)))),
    ("parameter_float64_small", repr(nn.Parameter(between_3_and_5(6).reshape(2, 3)))),
]
write("tensors", sections)


# --- net: the LeNet-style Net with initialize_weights ----------------------------------------
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)
        self.initialize_weights()

    def initialize_weights(self):
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.constant_(m.bias, 0)


write("net", [("print(net)", repr(Net()))])


# --- c3d: the C3D port with weights_init -----------------------------------------------------
class C3D(nn.Module):
    def __init__(self):
        super(C3D, self).__init__()
        self.conv1 = nn.Conv3d(3, 64, kernel_size=(3, 3, 3), padding=(1, 1, 1))
        self.pool1 = nn.MaxPool3d(kernel_size=(1, 2, 2), stride=(1, 2, 2))
        self.conv2 = nn.Conv3d(64, 128, kernel_size=(3, 3, 3), padding=(1, 1, 1))
        self.pool2 = nn.MaxPool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2))
        self.conv3a = nn.Conv3d(128, 256, kernel_size=(3, 3, 3), padding=(1, 1, 1))
        self.conv3b = nn.Conv3d(256, 256, kernel_size=(3, 3, 3), padding=(1, 1, 1))
        self.pool3 = nn.MaxPool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2))
        self.conv4a = nn.Conv3d(256, 512, kernel_size=(3, 3, 3), padding=(1, 1, 1))
        self.conv4b = nn.Conv3d(512, 512, kernel_size=(3, 3, 3), padding=(1, 1, 1))
        self.pool4 = nn.MaxPool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2))
        self.conv5a = nn.Conv3d(512, 512, kernel_size=(3, 3, 3), padding=(1, 1, 1))
        self.conv5b = nn.Conv3d(512, 512, kernel_size=(3, 3, 3), padding=(1, 1, 1))
        self.pool5 = nn.MaxPool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 1, 1))
        self.fc6 = nn.Linear(8192, 4096)
        self.fc7 = nn.Linear(4096, 4096)
        self.fc8 = nn.Linear(4096, 487)
        self.dropout = nn.Dropout(p=0.5)
        self.relu = nn.ReLU()
        self.softmax = nn.Softmax()


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1 or classname.find("Linear") != -1:
        nn.init.xavier_normal_(m.weight)
        nn.init.zeros_(m.bias)


model = C3D()
model.apply(weights_init)
write("c3d", [("print(model)", repr(model))])


# --- mlp: a Sequential MLP initialized two ways ----------------------------------------------
def init_weights(m):
    if isinstance(m, nn.Linear):
        torch.nn.init.xavier_normal_(m.weight)
        m.bias.data.fill_(0)


class MLP(nn.Module):
    """Method 1: the model initializes itself in __init__, looping over its modules."""

    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)
        )
        for m in self.modules():
            if isinstance(m, nn.Linear):
                torch.nn.init.xavier_normal_(m.weight)
                m.bias.data.fill_(0)


net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
net.apply(init_weights)  # method 2
write("mlp", [("print(MLP())", repr(MLP())), ("print(net)", repr(net))])


# --- children_vs_modules: net1 (Sequential) and sim_net ---------------------------------------
net1 = nn.Sequential(
    nn.Linear(30, 40),
    nn.ReLU(),
    nn.Linear(40, 50),
    nn.ReLU(),
    nn.Linear(50, 10),
)


class sim_net(nn.Module):
    def __init__(self):
        super(sim_net, self).__init__()
        self.l1 = nn.Sequential(nn.Linear(30, 40), nn.ReLU())
        self.l1[0].weight.data = torch.randn(40, 30)
        self.l2 = nn.Sequential(nn.Linear(40, 50), nn.ReLU())
        self.l3 = nn.Sequential(nn.Linear(50, 10), nn.ReLU())


net2 = sim_net()
write(
    "children_vs_modules",
    [
        ("print(net1)", repr(net1)),
        ("print(net1[0])", repr(net1[0])),
        ("for layer in net1: print(layer)", "\n".join(repr(layer) for layer in net1)),
        ("print(net2)", repr(net2)),
        ("for i in net2.children(): print(i)", "\n".join(repr(i) for i in net2.children())),
        ("for i in net2.modules(): print(i)", "\n".join(repr(i) for i in net2.modules())),
    ],
)
