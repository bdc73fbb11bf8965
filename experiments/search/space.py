"""The nuisance search space of a spec's ``[search]`` table and its quasi-random points.

    [search]
    trials = 16             # points per grid point
    sampler = "sobol"       # scrambled Sobol (scipy.stats.qmc); also "halton" and "random"
    seed = 0                # the sampler's seed
    objective = "val_loss"  # train_loss, val_loss (minimized), train_acc, val_acc (maximized)
    at = "best"             # the objective at its best recorded epoch, or "final"
    [search.nuisance]
    lr = { log = [1e-4, 1e-1] }
    "optimizer.beta1" = { range = [0.8, 0.99] }
    "optimizer.momentum" = { choice = [0.0, 0.9] }

``parse_search`` validates the table once (``SpecError`` naming the file and key); ``unit_points``
draws ``(trials, d)`` points in the unit cube, one column per nuisance in the table's order, and
``points`` maps them to values. Every grid point gets the same points, so comparisons pair up.
``apply_point`` writes a point into a run configuration (dotted keys reach into dict fields).
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

import nndata

from nncore.optimizers import OPTIMIZERS, canonical_optimizer
from nncore.schedules import SCHEDULES, make_schedule

from ..config import FIELDS, Where, check_value, own_copy

SAMPLERS = ("sobol", "halton", "random")
# Objective -> True when lower is better.
OBJECTIVES = {"train_loss": True, "val_loss": True, "train_acc": False, "val_acc": False}
AT = ("best", "final")
KINDS = ("log", "range", "choice")
SEARCH_KEYS = ("trials", "sampler", "seed", "objective", "at", "nuisance")
DEFAULTS = {"trials": 16, "sampler": "sobol", "seed": 0, "objective": "val_loss", "at": "best"}
# Fields a spec sets elsewhere (replicates, the architecture) or the search sets itself (a
# run's stage and trial index): never a nuisance.
NOT_NUISANCE = ("seed", "task", "dataset", "layer_sizes", "stage", "trial")


@dataclass(frozen=True)
class Nuisance:
    """One searched hyperparameter: ``key`` (``lr`` or ``optimizer.beta1``), its ``kind``
    (log, range or choice), ``low``/``high`` for log and range, ``choices`` for choice."""

    key: str
    kind: str
    low: float = math.nan
    high: float = math.nan
    choices: tuple = ()

    @property
    def field(self) -> str:
        """The configuration field it sets (``optimizer`` for ``optimizer.beta1``)."""
        return self.key.split(".", 1)[0]

    @property
    def option(self) -> str | None:
        """The key inside a dict field (``beta1``), None for a plain field."""
        return self.key.split(".", 1)[1] if "." in self.key else None

    def value(self, u: float):
        """The value at unit coordinate ``u`` in [0, 1): log-uniform, uniform, or the
        ``floor(u * k)``-th of k choices (an equal split of the unit interval). An integer
        field (batch_size, epochs) gets the rounded value."""
        if self.kind == "choice":
            return self.choices[min(int(u * len(self.choices)), len(self.choices) - 1)]
        if self.kind == "log":
            value = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            value = self.low + u * (self.high - self.low)
        if self.option is None and FIELDS[self.field].kind is int:
            return int(round(value))
        return float(value)

    def position(self, value: float) -> float:
        """Where ``value`` lies in the range, 0 at ``low`` and 1 at ``high`` (log scale for a log
        range); NaN for a choice."""
        if self.kind == "choice":
            return math.nan
        if self.kind == "log":
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (value - self.low) / (self.high - self.low)

    def describe(self) -> str:
        """``lr (log 1e-4..1e-1)``, ``optimizer.momentum (choice 0, 0.9)``."""
        if self.kind == "choice":
            return f"{self.key} (choice {', '.join(_text(c) for c in self.choices)})"
        if self.kind == "log":
            return f"{self.key} (log {exp_text(self.low)}..{exp_text(self.high)})"
        return f"{self.key} (range {_text(self.low)}..{_text(self.high)})"


@dataclass(frozen=True)
class Search:
    """A validated ``[search]`` table."""

    trials: int
    sampler: str
    seed: int
    objective: str
    at: str
    nuisance: tuple[Nuisance, ...]

    @property
    def lower_is_better(self) -> bool:
        return OBJECTIVES[self.objective]

    @property
    def draws(self) -> int:
        """Points the sampler draws: ``trials`` rounded up to a power of two (Sobol's balance
        holds for powers of two; the first ``trials`` of them are used)."""
        return 1 << max(0, (self.trials - 1).bit_length())

    @property
    def balanced(self) -> bool:
        """False when ``trials`` is not a power of two (only the first of the draws are used)."""
        return self.sampler == "random" or self.draws == self.trials


def exp_text(value: float) -> str:
    """``1e-4``, ``3e-3``, ``2.5e-1``: a log-range bound as its mantissa and power of ten."""
    mantissa, exponent = f"{value:.3e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


def _text(value) -> str:
    return f"{value:g}" if isinstance(value, numbers.Real) and not isinstance(value, bool) else repr(value)


def _choice_of(value, valid, where: str, at: Where):
    if value not in valid:
        raise at.error(where, f"{value!r} is not one of {', '.join(valid)}")
    return value


def _integer(value, where: str, at: Where, low: int) -> int:
    if not (isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low):
        raise at.error(where, f"must be an integer >= {low}, got {value!r}")
    return int(value)


# Keys a dotted nuisance may name inside each dict field, from the registries; None: checked
# against the grid points only (a dataset's options depend on the dataset).
def _dict_options() -> dict[str, set[str] | None]:
    return {"optimizer": {name for cls in OPTIMIZERS.values() for name in cls.defaults},
            "schedule": {name for _, names in SCHEDULES.values() for name in names},
            "dataset_options": None}


def _check_key(key: str, grid_keys: set[str], where: str, at: Where) -> None:
    field, _, option = key.partition(".")
    if key in grid_keys:
        raise at.error(where, f"{key!r} is also a grid key: a key is scientific (grid) or "
                              "nuisance (searched), not both")
    if field not in FIELDS or field in NOT_NUISANCE:
        valid = ", ".join(k for k in FIELDS if k not in NOT_NUISANCE)
        raise at.error(where, f"unknown nuisance key {key!r}; valid keys: {valid} "
                              "(dotted keys reach into optimizer, schedule, dataset_options)")
    if not option:
        return
    dict_options = _dict_options()
    if FIELDS[field].kind is not dict or field not in dict_options:
        raise at.error(where, f"{field!r} is not a table field; dotted keys reach into "
                              f"{', '.join(dict_options)}")
    known = dict_options[field]
    if option == "kind" or (known is not None and option not in known):
        valid = ", ".join(sorted(known or ()))
        raise at.error(where, f"unknown nuisance key {key!r}; {field} takes {valid}")


def _nuisance(key: str, table: dict, where: str, at: Where) -> Nuisance:
    if not (isinstance(table, dict) and len(table) == 1 and next(iter(table)) in KINDS):
        raise at.error(where, "must be one of { log = [low, high] }, { range = [low, high] }, "
                              f"{{ choice = [...] }}, got {table!r}")
    kind, values = next(iter(table.items()))
    if kind == "choice":
        if not (isinstance(values, list) and values):
            raise at.error(f"{where}.choice", f"must be a non-empty list, got {values!r}")
        if "." not in key:
            values = [check_value(key, v, f"{where}.choice[{i}]", at) for i, v in enumerate(values)]
        return Nuisance(key, kind, choices=tuple(values))
    if not (isinstance(values, list) and len(values) == 2 and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v) for v in values)):
        raise at.error(f"{where}.{kind}", f"must be [low, high], two finite numbers, got {values!r}")
    low, high = float(values[0]), float(values[1])
    if low >= high:
        raise at.error(f"{where}.{kind}", f"low must be below high, got [{low:g}, {high:g}]")
    if kind == "log" and low <= 0:
        raise at.error(f"{where}.log", f"a log range must stay above 0, got [{low:g}, {high:g}]")
    if "." not in key and FIELDS[key].kind not in (int, float):
        raise at.error(where, f"{key!r} is not a number; search it with {{ choice = [...] }}")
    return Nuisance(key, kind, low, high)


def parse_search(table: dict, grid_keys: Iterable[str], at: Where) -> Search:
    """The validated ``[search]`` table of the spec at ``at``; ``grid_keys`` are the keys its
    ``[grid]``/``[zip]``/``[case]`` vary (a nuisance may not be one). Raises SpecError naming the
    file and the key."""
    if not isinstance(table, dict):
        raise at.error("search", "must be a table ([search])")
    unknown = sorted(set(table) - set(SEARCH_KEYS))
    if unknown:
        raise at.error(f"search.{unknown[0]}", f"unknown key; valid keys: {', '.join(SEARCH_KEYS)}")
    values = {**DEFAULTS, **table}
    trials = _integer(values["trials"], "search.trials", at, 1)
    seed = _integer(values["seed"], "search.seed", at, 0)
    sampler = _choice_of(values["sampler"], SAMPLERS, "search.sampler", at)
    objective = _choice_of(values["objective"], tuple(OBJECTIVES), "search.objective", at)
    at_epoch = _choice_of(values["at"], AT, "search.at", at)
    nuisance_table = table.get("nuisance", {})
    if not isinstance(nuisance_table, dict) or not nuisance_table:
        raise at.error("search.nuisance", "must be a non-empty table ([search.nuisance]) of "
                                          "key = { log = [low, high] } and the like")
    nuisance = []
    for key, spec in nuisance_table.items():
        where = f"search.nuisance.{key}" if "." not in key else f'search.nuisance."{key}"'
        _check_key(key, set(grid_keys), where, at)
        nuisance.append(_nuisance(key, spec, where, at))
    return Search(trials, sampler, seed, objective, at_epoch, tuple(nuisance))


def unit_points(search: Search) -> np.ndarray:
    """(trials, d) points in [0, 1)^d, one column per nuisance, seeded by ``search.seed``.
    Sobol draws the next power of two and keeps the first ``trials``; each point is the same
    for a larger ``trials`` (the sequence is a prefix), so extending a search keeps its runs."""
    from scipy.stats import qmc  # imported when points are drawn: `import experiments` stays light

    d = len(search.nuisance)
    if search.sampler == "random":
        return np.random.default_rng(search.seed).random((search.trials, d))
    if search.sampler == "sobol":
        engine = qmc.Sobol(d, scramble=True, seed=search.seed)
        return engine.random_base2(int(math.log2(search.draws)))[:search.trials]
    return qmc.Halton(d, scramble=True, seed=search.seed).random(search.trials)


def points(search: Search) -> list[dict]:
    """The ``trials`` nuisance points: ``[{"lr": 0.0031, "optimizer.beta1": 0.93}, ...]``."""
    return [{n.key: n.value(float(u)) for n, u in zip(search.nuisance, row)}
            for row in unit_points(search)]


def applies(nuisance: Nuisance, config: dict) -> bool:
    """Whether a run configuration uses this nuisance: a plain field always; ``optimizer.beta1``
    only for an optimizer kind that has beta1 (not sgd), ``schedule.gamma`` only for a schedule
    that takes it, ``dataset_options.noise`` only for a dataset with that option."""
    option = nuisance.option
    if option is None:
        return True
    if nuisance.field == "optimizer":
        return option in OPTIMIZERS[config["optimizer"]["kind"]].defaults
    if nuisance.field == "schedule":
        return option in SCHEDULES[config["schedule"].get("kind", "constant")][1]
    record = nndata.DATASETS.get(config["dataset"])
    return record is not None and option in record.options


def apply_point(config: dict, point: dict, search: Search) -> dict:
    """A copy of the resolved ``config`` with the point's values of the nuisances it uses
    (``applies``); the optimizer table is re-canonicalised so ``{momentum = 0}`` and
    ``{momentum = 0.0}`` give one run id. ValueError when a value is invalid for the field."""
    updated = own_copy(config)
    for nuisance in search.nuisance:
        if nuisance.key not in point or not applies(nuisance, config):
            continue
        value = point[nuisance.key]
        if nuisance.option is None:
            updated[nuisance.key] = float(value) if FIELDS[nuisance.key].kind is float else value
        else:
            updated[nuisance.field][nuisance.option] = value
    updated["optimizer"] = canonical_optimizer(updated["optimizer"])
    make_schedule(updated["schedule"], updated["lr"])  # ValueError for an invalid schedule option
    return updated


def unused(search: Search, config: dict) -> list[str]:
    """The nuisance keys this configuration does not use (beta1 for sgd), for ``plan``."""
    return [n.key for n in search.nuisance if not applies(n, config)]


def unmeasured(objective: str, config: dict) -> str | None:
    """Why runs of ``config`` never measure ``objective`` (NaN in every run), or None: an
    accuracy needs a classification loss, a ``val_*`` objective a validation split."""
    import nndata
    from nncore.losses import CLASSIFICATION_LOSSES

    if objective.endswith("_acc") and config["loss"] not in CLASSIFICATION_LOSSES:
        return (f"loss={config['loss']!r} measures no accuracy (only "
                f"{', '.join(CLASSIFICATION_LOSSES)} do)")
    count = nndata.DATASETS[config["dataset"]].validation_samples
    if objective.startswith("val_") and count is not None and count(**config["dataset_options"]) == 0:
        return f"dataset {config['dataset']!r} has no validation split with these options"
    return None


def check_measured(search: Search, configs: list[dict], labels: list[str], at: Where) -> None:
    """SpecError when a grid point's runs never measure the objective (``val_acc`` on a
    regression): its every trial would score NaN and nothing would be retrained."""
    for config, label in zip(configs, labels):
        why = unmeasured(search.objective, config)
        if why:
            valid = [name for name in OBJECTIVES if unmeasured(name, config) is None]
            raise at.error("search.objective", f"{search.objective!r} is never measured at {label}: "
                                               f"{why}; objectives it measures: {', '.join(valid)}")


def check_used(search: Search, configs: list[dict], at: Where) -> None:
    """SpecError when a nuisance is used by no grid point (``optimizer.beta1`` on a study of
    sgd only, a dataset option no dataset of the grid takes)."""
    for nuisance in search.nuisance:
        if not any(applies(nuisance, config) for config in configs):
            raise at.error(f'search.nuisance."{nuisance.key}"',
                           f"no grid point uses {nuisance.key!r}; remove it or add a grid point that does")

