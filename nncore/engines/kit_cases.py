"""The conformance kit's cases: small seeded random networks and batches (``cases``), every
activation, output, loss, dtype and reduction an engine ``supports`` at least once, over several
shapes, with ReLU inputs kept away from the kink. The checks themselves are conformance.py."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from ..losses import LOSSES
from ..network import DTYPES, MLP

REDUCTIONS = ("mean", "sum")
DOMAIN = {"activation": HIDDEN_ACTIVATIONS, "output": OUTPUT_ACTIVATIONS, "loss": tuple(LOSSES),
          "dtype": DTYPES, "reduction": REDUCTIONS}
# (inputs, hidden..., outputs): one hidden layer, two, a single input, a single output.
SHAPES = ((2, 5, 2), (3, 4, 3, 3), (1, 6, 2), (4, 3, 1))
BATCH_ROWS = 5
# The training checks: two full batches and a last one of a single row.
TRAINING_BATCH = BATCH_ROWS
TRAINING_ROWS = 2 * BATCH_ROWS + 1
KINK = 1e-3  # ReLU networks: inputs whose pre-activations all lie at least this far from 0


@dataclass(frozen=True)
class Case:
    """One small network and batch: layer sizes, its configuration and the seed of both."""

    layer_sizes: tuple[int, ...]
    activation: str
    output: str
    loss: str
    dtype: str
    reduction: str
    seed: int = 0
    rows: int = BATCH_ROWS

    @property
    def label(self) -> str:
        return (f"{'-'.join(map(str, self.layer_sizes))} {self.activation}/{self.output}/"
                f"{self.loss} {self.dtype} {self.reduction} n={self.rows}")

    def network(self, dtype: str | None = None) -> MLP:
        return MLP(list(self.layer_sizes), activation=self.activation, output=self.output,
                   loss=self.loss, init_scale=0.7, seed=self.seed, dtype=dtype or self.dtype)

    def batch(self, net: MLP, rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """X (rows, inputs) and targets (rows, outputs) suited to the loss, in the net's dtype."""
        rng = np.random.default_rng(self.seed + 1)
        rows = rows or self.rows
        n_in, n_out = self.layer_sizes[0], self.layer_sizes[-1]
        X = rng.normal(size=(rows, n_in))
        if self.loss == "cross_entropy":
            Y = np.eye(n_out)[rng.integers(0, n_out, size=rows)]
        elif self.loss == "binary_cross_entropy":
            Y = rng.integers(0, 2, size=(rows, n_out)).astype(float)
        else:
            Y = rng.normal(size=(rows, n_out))
        return net.check_data(X, Y)


def away_from_kink(case: Case) -> bool:
    net = case.network("float64")
    X, _ = case.batch(net, max(case.rows, TRAINING_ROWS))
    return all(np.abs(z).min() > KINK for z, _ in net.forward_layers(X))


def allowed(supports: dict, key: str) -> tuple[str, ...]:
    """The values of ``key`` the engine handles: its ``supports`` entry, else the whole domain."""
    return tuple(v for v in DOMAIN[key] if v in supports.get(key, DOMAIN[key]))


def compatible(output: str, loss: str) -> bool:
    required = LOSSES[loss].requires_output
    return required is None or required == output


def cases(supports: dict | None = None) -> list[Case]:
    """Every supported (activation, output, loss) combination once, shapes, dtypes and reductions
    taken in turn so that each supported value appears; seeds chosen to keep ReLU off its kink."""
    supports = supports or {}
    combos = [(a, o, l) for a in allowed(supports, "activation") for o in allowed(supports, "output")
              for l in allowed(supports, "loss") if compatible(o, l)]
    dtypes, reductions = allowed(supports, "dtype"), allowed(supports, "reduction")
    found = []
    for i, (activation, output, loss) in enumerate(combos):
        shape = SHAPES[i % len(SHAPES)]
        if loss == "cross_entropy" and shape[-1] < 2:
            shape = (*shape[:-1], 2)
        case = Case(shape, activation, output, loss, dtypes[i % len(dtypes)],
                    reductions[(i // len(dtypes)) % len(reductions)], seed=i)
        while not away_from_kink(case):
            case = replace(case, seed=case.seed + 1000)
        found.append(case)
    return found
