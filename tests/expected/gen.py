#!/usr/bin/env python3
"""Writes the PyTorch side of tests/tutorials.rs: what `print(...)` shows for the tutorials'
models, for every layer init-candle has, and for a few fixed tensors and parameters.

Run from the repository root with a Python that has torch (CPU is enough):
    python tests/expected/gen.py
It rewrites tests/expected/{layers,tensors}.txt and one file per source document
(../shared/seeds/, copied into each example's module docs): initialize_weights (000), c3d (001),
apply_or_modules (002), init_tour (003), children_vs_modules (004). Each document's code runs here
as written, made runnable where it does not run (each such place has a comment). Each file is a
list of sections, a line `### <name>` followed by the printed text. Sections of random values are
kept (the test checks that each is one of the random steps it tests by distribution) but only
deterministic text is compared byte for byte.
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
    ("relu_inplace", nn.ReLU(True)),
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


# --- 000: initialize_weights, the LeNet-style Net walking self.modules() ----------------------
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool1 = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool2 = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool1(F.relu(self.conv1(x)))
        x = self.pool2(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

    def initialize_weights(self):
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                torch.nn.init.xavier_normal_(m.weight.data)
                if m.bias is not None:
                    m.bias.data.zero_()
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.data.fill_(1)
                m.bias.data.zero_()
            elif isinstance(m, nn.Linear):
                torch.nn.init.normal_(m.weight.data, 0, 0.01)
                m.bias.data.zero_()


net = Net()
net.initialize_weights()
write("initialize_weights", [
    ("print(net)", repr(net)),
    ("net(torch.randn(4, 3, 32, 32)).shape", repr(tuple(net(torch.randn(4, 3, 32, 32)).shape))),
])


# --- 001: weights_init by class name on C3D, then the torch.nn.init tour on w (3, 5) ----------
class C3D(nn.Module):
    """001 never defines C3D: the common PyTorch port of Tran et al.'s C3D (Sports-1M, 487)."""

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


from torch.nn import init


def weights_init(m):
    classname = m.__class__.__name__
    # print(classname)
    if classname.find('Conv3d') != -1:
        init.xavier_normal_(m.weight.data)
        init.constant_(m.bias.data, 0.0)
    elif classname.find('Linear') != -1:
        init.xavier_normal_(m.weight.data)
        init.constant_(m.bias.data, 0.0)


model = C3D()
model.apply(weights_init)
c3d = [("print(model)", repr(model))]


def step(sections, key, value):
    sections.append((key, repr(value)))


gain = nn.init.calculate_gain('leaky_relu')
step(c3d, "1: gain = nn.init.calculate_gain('leaky_relu')", gain)
w = torch.empty(3, 5)
nn.init.uniform_(w)
step(c3d, "2: w = torch.empty(3, 5); nn.init.uniform_(w)", w)
w = torch.empty(3, 5)
nn.init.normal_(w)
step(c3d, "3: w = torch.empty(3, 5); nn.init.normal_(w)", w)
w = torch.empty(3, 5)  # 001 drops the `w =` here; the constant_ call evidently means it
nn.init.constant_(w, 0.3)
step(c3d, "4: w = torch.empty(3, 5); nn.init.constant_(w, 0.3)", w)
w = torch.empty(3, 5)
nn.init.eye_(w)
step(c3d, "5: w = torch.empty(3, 5); nn.init.eye_(w)", w)
w = torch.empty(3, 16, 5, 5)
nn.init.dirac_(w)
step(c3d, "6: w = torch.empty(3, 16, 5, 5); nn.init.dirac_(w)", w)
w = torch.empty(3, 5)
nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain('relu'))
step(c3d, "7: w = torch.empty(3, 5); nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain('relu'))", w)
w = torch.empty(3, 5)
nn.init.xavier_normal_(w)
step(c3d, "8: w = torch.empty(3, 5); nn.init.xavier_normal_(w)", w)
w = torch.empty(3, 5)
nn.init.kaiming_uniform_(w, mode='fan_in', nonlinearity='relu')
step(c3d, "9: w = torch.empty(3, 5); nn.init.kaiming_uniform_(w, mode='fan_in', nonlinearity='relu')", w)
w = torch.empty(3, 5)
nn.init.kaiming_normal_(w, mode='fan_out', nonlinearity='relu')
step(c3d, "10: w = torch.empty(3, 5); nn.init.kaiming_normal_(w, mode='fan_out', nonlinearity='relu')", w)
w = torch.empty(3, 5)
nn.init.orthogonal_(w)
step(c3d, "11: w = torch.empty(3, 5); nn.init.orthogonal_(w)", w)
w = torch.empty(3, 5)
nn.init.sparse_(w, sparsity=0.1)
step(c3d, "12: w = torch.empty(3, 5); nn.init.sparse_(w, sparsity=0.1)", w)
write("c3d", c3d)


# --- 002: one conv by hand; method 1 (apply) and method 2 (self.modules() in __init__) ---------
def error_of(call):
    try:
        call()
    except Exception as e:  # what PyTorch raises, type and message
        return f"{type(e).__name__}: {e}"
    raise AssertionError("expected an error")


two = []
conv = torch.nn.Conv2d(3, 64, kernel_size = 3, stride = 1, padding = 1)
two.append(("print(conv)", repr(conv)))
torch.nn.init.xavier_uniform_(conv.weight)
two.append(("torch.nn.init.xavier_uniform_(conv.bias, 0)",
            error_of(lambda: torch.nn.init.xavier_uniform_(conv.bias, 0))))

# 002 leaves the sizes undefined; the example uses MNIST's 28 * 28 -> 300 -> 100 -> 10.
in_dim, n_hidden_1, n_hidden_2, out_dim = 28 * 28, 300, 100, 10


class Net(nn.Module):  # method 1

    def __init__(self, in_dim, n_hidden_1, n_hidden_2, out_dim):
        super().__init__()

        self.layer = nn.Sequential(
            nn.Linear(in_dim, n_hidden_1),
            nn.ReLU(True),
            nn.Linear(n_hidden_1, n_hidden_2),
            nn.ReLU(True),
            nn.Linear(n_hidden_2, out_dim)
             )

    def forward(self, x):
        # 002 calls self.layer1/2/3, which do not exist: self.layer is evidently meant.
        return self.layer(x)


def weight_init(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_normal_(m.weight)
        nn.init.constant_(m.bias, 0)
    elif isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.constant_(m.weight, 1)
        nn.init.constant_(m.bias, 0)


model = Net(in_dim, n_hidden_1, n_hidden_2, out_dim)
model.apply(weight_init)
two.append(("method 1: print(model)", repr(model)))
two.append(("method 1: model(x).shape", repr(tuple(model(torch.randn(8, in_dim)).shape))))


class Net(nn.Module):  # method 2

    def __init__(self, in_dim, n_hidden_1, n_hidden_2, out_dim):
        super().__init__()
        self.layer = nn.Sequential(
            nn.Linear(in_dim, n_hidden_1),
            nn.ReLU(True),
            nn.Linear(n_hidden_1, n_hidden_2),
            nn.ReLU(True),
            nn.Linear(n_hidden_2, out_dim)
             )

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return self.layer(x)


model = Net(in_dim, n_hidden_1, n_hidden_2, out_dim)
two.append(("method 2: print(model)", repr(model)))
two.append(("method 2: modules the loop initialized",
            repr([type(m).__name__ for m in model.modules()
                  if isinstance(m, (nn.Conv2d, nn.BatchNorm2d, nn.GroupNorm))])))

# The initializer loops run over `net.modules()`, a conv net 002 never defines: this one.
net = nn.Sequential(
    nn.Conv2d(3, 16, kernel_size=3, stride=1, padding=1),
    nn.ReLU(True),
    nn.Conv2d(16, 32, kernel_size=3, stride=1, padding=1),
    nn.ReLU(True),
    nn.Flatten(),
    nn.Linear(32 * 8 * 8, 10),
)
two.append(("print(net)", repr(net)))
for m in net.modules():
    if isinstance(m, (torch.nn.Linear, torch.nn.Conv1d, torch.nn.Conv2d)):
        torch.nn.init.xavier_uniform_(m.weight)
for m in net.modules():
    if isinstance(m, torch.nn.Conv2d):
        torch.nn.init.xavier_uniform_(m.weight, gain = torch.nn.init.calculate_gain('relu'))
for m in net.modules():
    if isinstance(m, torch.nn.Conv2d):
        torch.nn.init.kaiming_normal_(m.weight, mode = 'fan_in')  # 002: torch.nn.kaiming_normal_
for m in net.modules():  # 002: `modules()`
    if isinstance(m, torch.nn.Conv2d):
        torch.nn.init.orthogonal_(m.weight)  # 002: the deprecated alias `orthogonal`
for m in net.modules():
    if isinstance(m, torch.nn.Conv2d):
        torch.nn.init.constant_(m.weight, 0.5)  # 002: the deprecated alias `constant`
        torch.nn.init.constant_(m.bias, 0)
two.append(("net[0].weight after the constant loop", repr(net[0].weight.data[0, 0])))
two.append(("net(x).shape", repr(tuple(net(torch.randn(2, 3, 8, 8)).shape))))
write("apply_or_modules", two)


# --- 003: the notebook tour on X = torch.empty(2, 3) ------------------------------------------
tour = []
gain = nn.init.calculate_gain('relu')
tour.append(("In [3]: gain=nn.init.calculate_gain('relu')", repr(gain)))
X = torch.empty(2, 3)
nn.init.uniform_(X)
tour.append(("In [4]: X=torch.empty(2,3); nn.init.uniform_(X)", repr(X)))
tour.append(("In [5]: nn.init.normal_(X)", repr(nn.init.normal_(X))))
nn.init.constant_(X, 2)
tour.append(("In [6]: nn.init.constant_(X,2)", repr(X)))
nn.init.eye_(X)
tour.append(("In [7]: nn.init.eye_(X)", repr(X)))
X = X.reshape(3, 2)
nn.init.eye_(X)
tour.append(("In [8]: X=X.reshape(3,2); nn.init.eye_(X)", repr(X)))
X = torch.empty(2, 3, 4)
nn.init.dirac_(X)
tour.append(("In [9]: X=torch.empty(2,3,4); nn.init.dirac_(X)", repr(X)))
X = torch.empty(2, 3)
nn.init.xavier_uniform_(X, gain=nn.init.calculate_gain('relu'))
tour.append(("In [11]: X=torch.empty(2,3); nn.init.xavier_uniform_(X,gain=nn.init.calculate_gain('relu'))", repr(X)))
nn.init.xavier_normal_(X, gain=nn.init.calculate_gain('sigmoid'))
tour.append(("In [12]: nn.init.xavier_normal_(X,gain=nn.init.calculate_gain('sigmoid'))", repr(X)))
nn.init.kaiming_uniform_(X)
tour.append(("In [13]: nn.init.kaiming_uniform_(X)", repr(X)))
nn.init.kaiming_normal_(X)
tour.append(("In [14]: nn.init.kaiming_normal_(X)", repr(X)))
nn.init.orthogonal_(X)
tour.append(("In [15]: nn.init.orthogonal_(X)", repr(X)))
nn.init.sparse_(X, sparsity=0.5)
tour.append(("In [16]: nn.init.sparse_(X,sparsity=0.5)", repr(X)))
write("init_tour", tour)


# --- 004: children_vs_modules: net1 (Sequential), the NumPy replacement, sim_net ---------------
import numpy as np

net1 = nn.Sequential(
    nn.Linear(30, 40),
    nn.ReLU(),
    nn.Linear(40, 50),
    nn.ReLU(),
    nn.Linear(50, 10)
)
w1 = net1[0].weight
b1 = net1[0].bias
four = [("print(net1)", repr(net1)), ("print(net1[0])", repr(net1[0])),
        ("for layer in net1: print(layer)", "\n".join(repr(layer) for layer in net1))]
net1[0].weight.data = torch.from_numpy(np.random.uniform(3, 5, size=(40, 30)))
# The values are NumPy's random ones: only the print's last line (dtype, requires_grad) is fixed.
four.append(("print(net1[0].weight), last line", repr(net1[0].weight).splitlines()[-1]))
for layer in net1:
    if isinstance(layer, nn.Linear): # 判断是否是线性层
        param_shape = layer.weight.shape
        layer.weight.data = torch.from_numpy(np.random.normal(0, 0.5, size=param_shape))
four.append(("for layer in net1: weight dtypes after the loop",
             repr([str(l.weight.dtype) for l in net1 if isinstance(l, nn.Linear)])))


class sim_net(nn.Module):
    def __init__(self):
        super(sim_net, self).__init__()
        self.l1 = nn.Sequential(
            nn.Linear(30, 40),
            nn.ReLU()
        )

        self.l1[0].weight.data = torch.randn(40, 30) # 直接对某一层初始化

        self.l2 = nn.Sequential(
            nn.Linear(40, 50),
            nn.ReLU()
        )

        self.l3 = nn.Sequential(
            nn.Linear(50, 10),
            nn.ReLU()
        )

    def forward(self, x):
        x = self.l1(x)
        x =self.l2(x)
        x = self.l3(x)
        return x


net2 = sim_net()
four += [
    ("print(net2)", repr(net2)),
    ("for i in net2.children(): print(i)", "\n".join(repr(i) for i in net2.children())),
    ("for i in net2.modules(): print(i)", "\n".join(repr(i) for i in net2.modules())),
]
for layer in net2.modules():
    if isinstance(layer, nn.Linear):
        param_shape = layer.weight.shape
        layer.weight.data = torch.from_numpy(np.random.normal(0, 0.5, size=param_shape))
four.append(("for layer in net2.modules(): weight dtypes after the loop",
             repr([str(l.weight.dtype) for l in net2.modules() if isinstance(l, nn.Linear)])))
print(net1[0].weight)
init.xavier_uniform_(net1[0].weight)
four.append(("init.xavier_uniform_(net1[0].weight), last line",
             repr(net1[0].weight).splitlines()[-1]))
write("children_vs_modules", four)
