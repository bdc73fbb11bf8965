"""nncore: a minimal multilayer perceptron in NumPy with interchangeable backprop engines.

    net = nncore.MLP([2, 100, 1], activation="relu", output="identity", loss="mse")
    loss, grads = nncore.backprop(net, X, Y, engine="loop")
    history = nncore.train(net, X, Y, epochs=30, batch_size=10, lr=1e-3, reduction="sum")

Optimizers (``nncore.OPTIMIZERS``: sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw) follow
torch.optim's updates; pick one by kind, or by a dict whose omitted hyperparameters take their
defaults; the schedule sets its learning rate each epoch:

    nncore.train(net, X, Y, epochs=30, batch_size=100, lr=1e-2, optimizer="adam")
    nncore.train(net, X, Y, epochs=30, batch_size=100, lr=1e-2,
                 optimizer={"kind": "adamw", "beta1": 0.8, "weight_decay": 1e-3})
    nncore.optimizers.canonical_optimizer("adam")  # {"kind": "adam", "beta1": 0.9, ...}

Engines (``nncore.ENGINES``): scalar, loop, vectorized, compiled (numba, the optional extra
``nnstudy[compiled]``; the fastest on small nets and batches) and numerical:

    nncore.train(net, X, Y, epochs=30, batch_size=10, lr=1e-3, engine="compiled")

An engine written elsewhere is any class with ``summed_gradients`` (duck typing), named
``"package.module:ClassName"`` or by an entry point in ``nnstudy.engines``; the conformance kit
(``nncore.engines.conformance``, ``nnstudy check-engine NAME``) checks it as it checks these.
"""
from . import activation_stats, datasets, gradcheck, optimizers, probe, schedules
from .activations import ACTIVATIONS
from .engines import ENGINES, REDUCTIONS, backprop
from .init import INITIALIZERS
from .losses import LOSSES
from .network import DTYPES, MLP
from .optimizers import OPTIMIZERS
from .train import History, train, train_step

__version__ = "0.1.0"
__all__ = ["MLP", "History", "backprop", "train_step", "train", "datasets", "gradcheck", "optimizers",
           "probe", "schedules", "activation_stats", "ACTIVATIONS", "LOSSES", "INITIALIZERS", "ENGINES", "REDUCTIONS",
           "DTYPES", "OPTIMIZERS"]
