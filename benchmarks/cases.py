"""The networks the benchmarks time: one definition shared by the engine, probe and peer suites.

Each case is a network, a loss and a batch size; ``batch`` makes a seeded batch already validated
and cast by the network, so that a timed step does exactly what ``nncore.train`` does per step.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import nncore
from nncore.probe import training_flops, training_gemm_shapes

DTYPES = ("float64", "float32")
SINCOS_LR = 1e-3
SOFTMAX_LR = 1e-2


@dataclass(frozen=True)
class NetCase:
    """A benchmarked network: ``layer_sizes`` include input and output; ``engines`` are timed."""

    task: str                    # "sincos" (regression on 2 inputs) or "softmax" (MNIST-shaped classes)
    layer_sizes: tuple[int, ...]
    batch_size: int
    engines: tuple[str, ...]

    @property
    def case_id(self) -> str:
        """e.g. ``sincos-2-100-1-b10``: stable, it names the saved benchmarks compared over time."""
        return f"{self.task}-{'-'.join(map(str, self.layer_sizes))}-b{self.batch_size}"

    @property
    def hidden(self) -> list[int]:
        return list(self.layer_sizes[1:-1])

    @property
    def lr(self) -> float:
        return SINCOS_LR if self.task == "sincos" else SOFTMAX_LR

    def make_net(self, dtype: str = "float64", seed: int = 0) -> nncore.MLP:
        if self.task == "sincos":
            return nncore.MLP(list(self.layer_sizes), activation="relu", output="identity",
                              loss="mse", seed=seed, dtype=dtype)
        return nncore.MLP(list(self.layer_sizes), activation="relu", output="softmax",
                          loss="cross_entropy", init="he", seed=seed, dtype=dtype)

    def dataset(self, n_samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Raw inputs (n, in) and targets: sin-cos points in [-5, 5]^2 with their (n, 1) targets,
        or N(0, 1) inputs with integer class labels (n,)."""
        rng = np.random.default_rng(seed)
        if self.task == "sincos":
            X = rng.uniform(-5, 5, size=(n_samples, 2))
            return X, nncore.datasets.sincos_target(X)
        X = rng.standard_normal((n_samples, self.layer_sizes[0]))
        return X, rng.integers(0, self.layer_sizes[-1], size=n_samples)

    def batch(self, net: nncore.MLP, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """One batch (batch_size rows), validated and cast to the network's dtype."""
        return net.check_data(*self.dataset(self.batch_size, seed))

    def extra_info(self, dtype: str) -> dict:
        """Shapes and work of one training step, for pytest-benchmark's ``extra_info``."""
        return {
            "case": self.case_id,
            "layer_sizes": list(self.layer_sizes),
            "batch_size": self.batch_size,
            "dtype": dtype,
            "flops_per_step": training_flops(list(self.layer_sizes), self.batch_size),
            "gemm_shapes": [list(s) for s in training_gemm_shapes(list(self.layer_sizes), self.batch_size)],
        }


SINCOS_DEEP = (2, 100, 80, 50, 30, 10, 1)
SINCOS_WIDE = (2, 100, 1)
SOFTMAX_BIG = (784, 1024, 1024, 10)
# Registered engines that check gradients rather than train: not timed.
CHECKERS = ("numerical",)
# Engines fast enough for the big net (a per-sample engine's step there takes minutes). An engine
# this module does not know, e.g. a new one in nncore.ENGINES, is timed on the small nets only.
BIG_NET_ENGINES = ("vectorized",)


def training_engines() -> tuple[str, ...]:
    """Every engine of ``nncore.ENGINES`` except the gradient checkers, in registry order."""
    return tuple(name for name in nncore.ENGINES if name not in CHECKERS)


ALL_ENGINES = training_engines()

CASES = (
    NetCase("sincos", SINCOS_DEEP, 10, ALL_ENGINES),
    NetCase("sincos", SINCOS_DEEP, 100, ALL_ENGINES),
    NetCase("sincos", SINCOS_WIDE, 10, ALL_ENGINES),
    NetCase("softmax", SOFTMAX_BIG, 128, tuple(name for name in ALL_ENGINES if name in BIG_NET_ENGINES)),
)
