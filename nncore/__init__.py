"""nncore: a minimal multilayer perceptron in NumPy with interchangeable backprop engines.

    net = nncore.MLP([2, 100, 1], activation="relu", output="identity", loss="mse")
    loss, grads = nncore.backprop(net, X, Y, engine="loop")
    history = nncore.train(net, X, Y, epochs=30, batch_size=10, lr=1e-3, reduction="sum")
"""
from . import datasets, gradcheck, probe, schedules
from .activations import ACTIVATIONS
from .engines import ENGINES, REDUCTIONS, backprop
from .init import INITIALIZERS
from .losses import LOSSES
from .network import DTYPES, MLP
from .train import History, sgd_step, train

__version__ = "0.1.0"
__all__ = ["MLP", "History", "backprop", "sgd_step", "train", "datasets", "gradcheck", "probe", "schedules",
           "ACTIVATIONS", "LOSSES", "INITIALIZERS", "ENGINES", "REDUCTIONS", "DTYPES"]
