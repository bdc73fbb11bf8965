"""Update rules for the flat parameter vector, one small class per rule, as in torch.optim.

    optimizer = make_optimizer({"kind": "adam", "beta1": 0.8}, params, lr=1e-3)
    optimizer.step(params, grad)      # params (P,) updated in place; grad (P,) is overwritten

``params`` is the network's parameter vector (``net.flat_params()``) and ``grad`` the gradient
vector of the same layout (the engines fill ``zero_gradients(net)``). ``optimizer.lr`` is set
by ``nncore.train`` each epoch from its schedule, as a torch scheduler does. Every rule follows
torch.optim's update for float64 to rounding (see ``tests/test_nncore_optimizers.py``, which
writes those updates out). ``weight_decay`` is coupled L2 (``g += wd * p``) in every rule except
``adamw``, where it is decoupled (``p *= 1 - lr * wd``).

Cost: state vectors and one scratch block are allocated when the optimizer is made; a step
allocates nothing. A step walks the vectors in blocks of ``BLOCK`` elements, so that the five or
so elementwise passes of a rule run on data in cache rather than streaming multi-megabyte vectors
from memory five times (measured: an Adam step on 784-1024-1024-10 ~1.5x faster than whole-vector
passes).
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import ClassVar

import numpy as np

BLOCK = 16384  # elements per pass: 128 KiB of float64, so a rule's four or five vectors fit in L2

# Valid range of each hyperparameter, shared by every rule that takes it:
# (lowest allowed, upper bound or None, whether the upper bound is excluded).
HYPERPARAMETER_RANGES = {
    "weight_decay": (0.0, None, False),
    "eps": (0.0, None, False),
    "momentum": (0.0, 1.0, True),
    "alpha": (0.0, 1.0, True),
    "beta1": (0.0, 1.0, True),
    "beta2": (0.0, 1.0, True),
}


def _range_text(name: str) -> str:
    low, high, open_high = HYPERPARAMETER_RANGES[name]
    return f">= {low:g}" if high is None else f"in [{low:g}, {high:g}{')' if open_high else ']'}"


def _check_value(name: str, value, where: str) -> float:
    if not (isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)):
        raise ValueError(f"{where}{name} must be a finite number, got {value!r}")
    low, high, open_high = HYPERPARAMETER_RANGES[name]
    above = high is not None and (value >= high if open_high else value > high)
    if value < low or above:
        raise ValueError(f"{where}{name} must be {_range_text(name)}, got {value!r}")
    return float(value)


class Optimizer:
    """Base of the update rules: holds ``lr``, the hyperparameters and the state vectors.

    Subclasses declare ``kind``, ``defaults`` (hyperparameter -> default) and ``state_names``
    (vectors shaped like the parameters, zero at the start), and write ``_update`` for one block.
    """

    kind: ClassVar[str] = ""
    defaults: ClassVar[dict[str, float]] = {}
    state_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: np.ndarray, lr: float, **hyperparameters: float):
        settings = canonical_optimizer({"kind": self.kind, **hyperparameters})
        if not (isinstance(lr, numbers.Real) and not isinstance(lr, bool) and math.isfinite(lr) and lr >= 0):
            raise ValueError(f"optimizer lr must be a finite number >= 0, got {lr!r}")
        self.lr = float(lr)
        self.hyperparameters = {name: settings[name] for name in self.defaults}
        for name, value in self.hyperparameters.items():
            setattr(self, name, value)
        self.steps = 0
        self.size, self.dtype = params.size, params.dtype
        self.state = {name: np.zeros(params.size, dtype=params.dtype) for name in self.state_names}
        self._state_vectors = tuple(self.state[name] for name in self.state_names)
        self._scratch = np.empty(min(BLOCK, params.size), dtype=params.dtype)

    @property
    def folds_into_gradient(self) -> bool:
        """True when the step is ``p -= lr * g`` exactly, so the engine may write lr * g itself."""
        return False

    def step(self, params: np.ndarray, grad: np.ndarray) -> None:
        """Update ``params`` (P,) in place from ``grad`` (P,), which serves as scratch and is overwritten."""
        if params.size != self.size or grad.size != self.size:
            raise ValueError(f"{self.kind} optimizer was made for {self.size} parameters, "
                             f"got params of {params.size} and grad of {grad.size}")
        self.steps += 1
        constants = self._constants()
        if self.size <= BLOCK:  # small networks: one pass, no slicing overhead
            self._update(params, grad, self._scratch, *self._state_vectors, *constants)
            return
        for start in range(0, self.size, BLOCK):
            block = slice(start, start + BLOCK)
            scratch = self._scratch[:min(BLOCK, self.size - start)]
            self._update(params[block], grad[block], scratch,
                         *(vector[block] for vector in self._state_vectors), *constants)

    def _constants(self) -> tuple[float, ...]:
        """Scalars of this step shared by every block (bias corrections and the like), passed
        to ``_update`` after the state vectors."""
        return ()

    def _update(self, p, g, scratch, *state_then_constants) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        settings = ", ".join(f"{name}={value:g}" for name, value in self.hyperparameters.items())
        return f"{type(self).__name__}(lr={self.lr:g}{', ' if settings else ''}{settings})"


def _add_weight_decay(p, g, scratch, weight_decay: float) -> None:
    """g += weight_decay * p (coupled L2), without temporaries."""
    if weight_decay:
        np.multiply(p, weight_decay, out=scratch)
        g += scratch


class SGD(Optimizer):
    """torch.optim.SGD: g += wd p;  p -= lr g."""

    kind = "sgd"
    defaults = {"weight_decay": 0.0}

    @property
    def folds_into_gradient(self) -> bool:
        return self.weight_decay == 0

    def _update(self, p, g, scratch):
        _add_weight_decay(p, g, scratch, self.weight_decay)
        g *= self.lr
        p -= g


class Momentum(Optimizer):
    """torch.optim.SGD(momentum=m): g += wd p;  v = m v + g;  p -= lr v.

    torch starts v at the first gradient; with dampening 0 that is m * 0 + g, so a zero start
    gives the same vector to the bit.
    """

    kind = "momentum"
    defaults = {"momentum": 0.9, "weight_decay": 0.0}
    state_names = ("velocity",)

    def _accumulate(self, p, g, scratch, velocity) -> None:
        """g += wd p;  v = m v + g."""
        _add_weight_decay(p, g, scratch, self.weight_decay)
        velocity *= self.momentum
        velocity += g

    def _update(self, p, g, scratch, velocity):
        self._accumulate(p, g, scratch, velocity)
        np.multiply(velocity, self.lr, out=scratch)
        p -= scratch


class Nesterov(Momentum):
    """torch.optim.SGD(momentum=m, nesterov=True): g += wd p;  v = m v + g;  p -= lr (g + m v)."""

    kind = "nesterov"

    def _update(self, p, g, scratch, velocity):
        self._accumulate(p, g, scratch, velocity)
        np.multiply(velocity, self.momentum, out=scratch)
        g += scratch
        g *= self.lr
        p -= g


def _root_scaled_step(p, direction, scratch, squares, eps: float, lr: float) -> None:
    """p -= lr direction / (sqrt(squares) + eps), without temporaries: the step of Adagrad and
    RMSprop (direction g) and of Adam (its mean), ``squares`` their accumulated g²."""
    np.sqrt(squares, out=scratch)
    scratch += eps
    np.divide(direction, scratch, out=scratch)
    scratch *= lr
    p -= scratch


class Adagrad(Optimizer):
    """torch.optim.Adagrad (lr_decay 0, initial accumulator 0): g += wd p;  s += g²;
    p -= lr g / (sqrt(s) + eps)."""

    kind = "adagrad"
    defaults = {"eps": 1e-10, "weight_decay": 0.0}
    state_names = ("sum_of_squares",)

    def _update(self, p, g, scratch, sum_of_squares):
        _add_weight_decay(p, g, scratch, self.weight_decay)
        np.multiply(g, g, out=scratch)
        sum_of_squares += scratch
        _root_scaled_step(p, g, scratch, sum_of_squares, self.eps, self.lr)


class RMSprop(Optimizer):
    """torch.optim.RMSprop (no momentum, not centered): g += wd p;  s = alpha s + (1 - alpha) g²;
    p -= lr g / (sqrt(s) + eps)."""

    kind = "rmsprop"
    defaults = {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0}
    state_names = ("square_avg",)

    def _update(self, p, g, scratch, square_avg):
        _add_weight_decay(p, g, scratch, self.weight_decay)
        square_avg *= self.alpha
        np.multiply(g, g, out=scratch)
        scratch *= 1.0 - self.alpha
        square_avg += scratch
        _root_scaled_step(p, g, scratch, square_avg, self.eps, self.lr)


class Adam(Optimizer):
    """torch.optim.Adam (not amsgrad): g += wd p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g²;
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)   at step t = 1, 2, ...

    The state holds M = m / (1 - b1) and V = v / (1 - b2), which obey M = b1 M + g and
    V = b2 V + g²: the constant factors then fold into the step's scalars, two elementwise
    passes fewer per step. The update is the same up to rounding.
    """

    kind = "adam"
    defaults = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0}
    state_names = ("scaled_mean", "scaled_square_mean")

    def _constants(self) -> tuple[float, float]:
        # sqrt(v) / sqrt(1 - b2^t) = sqrt(V) * root, and m = (1 - b1) M, so the step is
        # lr (1 - b1) / ((1 - b1^t) root) * M / (sqrt(V) + eps / root).
        root = math.sqrt((1.0 - self.beta2) / (1.0 - self.beta2 ** self.steps))
        return self.eps / root, self.lr * (1.0 - self.beta1) / ((1.0 - self.beta1 ** self.steps) * root)

    def _decay(self, p, g, scratch) -> None:
        _add_weight_decay(p, g, scratch, self.weight_decay)

    def _update(self, p, g, scratch, scaled_mean, scaled_square_mean, eps_scaled, step_size):
        if self.weight_decay:
            self._decay(p, g, scratch)
        scaled_mean *= self.beta1
        scaled_mean += g
        scaled_square_mean *= self.beta2
        np.multiply(g, g, out=scratch)
        scaled_square_mean += scratch
        _root_scaled_step(p, scaled_mean, scratch, scaled_square_mean, eps_scaled, step_size)


class AdamW(Adam):
    """torch.optim.AdamW: p *= 1 - lr wd (decoupled decay), then Adam's step without decay."""

    kind = "adamw"
    defaults = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01}

    def _decay(self, p, g, scratch) -> None:
        p *= 1.0 - self.lr * self.weight_decay


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.kind: cls for cls in (SGD, Momentum, Nesterov, Adagrad, RMSprop, Adam, AdamW)
}


def canonical_optimizer(spec: str | Mapping | None) -> dict[str, str | float]:
    """The full, validated form of an optimizer spec: ``{"kind": ..., every hyperparameter: float}``.

    ``spec`` is a kind (``"adam"``), a mapping (``{"kind": "adam", "beta1": 0.8}``; omitted
    hyperparameters take their defaults) or None (``sgd``). Raises ValueError naming the key and
    the valid choices for an unknown kind or hyperparameter or a value out of range.
    """
    if spec is None:
        spec = {"kind": "sgd"}
    elif isinstance(spec, str):
        spec = {"kind": spec}
    elif not isinstance(spec, Mapping):
        raise ValueError(f"optimizer must be a kind ({', '.join(OPTIMIZERS)}), a table with a 'kind' "
                         f"or None, got {spec!r}")
    options = dict(spec)
    kind = options.pop("kind", None)
    if kind not in OPTIMIZERS:
        raise ValueError(f"optimizer kind={kind!r} is not one of {', '.join(OPTIMIZERS)}")
    defaults = OPTIMIZERS[kind].defaults
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise ValueError(f"optimizer {kind!r} has no hyperparameter {unknown[0]!r}; "
                         f"it takes {', '.join(defaults)}")
    where = f"optimizer {kind!r}: "
    return {"kind": kind, **{name: _check_value(name, options.get(name, default), where)
                             for name, default in defaults.items()}}


def make_optimizer(spec: str | Mapping | Optimizer | None, params: np.ndarray, lr: float) -> Optimizer:
    """An optimizer for the parameter vector ``params`` (P,) at learning rate ``lr``.

    ``spec`` as in ``canonical_optimizer``, or an ``Optimizer`` already made (returned as is).
    """
    if isinstance(spec, Optimizer):
        return spec
    settings = canonical_optimizer(spec)
    kind = settings.pop("kind")
    return OPTIMIZERS[kind](params, lr, **settings)
