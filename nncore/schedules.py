"""Learning-rate schedules: ``schedule(epoch) -> lr`` for 0-based epoch index."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Constant:
    lr: float

    def __call__(self, epoch: int) -> float:
        return self.lr


@dataclass(frozen=True)
class Step:
    """lr * factor ** (epoch // every): the original study used factor 0.9 every 3 epochs."""

    lr: float
    factor: float
    every: int

    def __call__(self, epoch: int) -> float:
        return self.lr * self.factor ** (epoch // self.every)


@dataclass(frozen=True)
class Exponential:
    """lr * gamma ** epoch."""

    lr: float
    gamma: float

    def __call__(self, epoch: int) -> float:
        return self.lr * self.gamma ** epoch


SCHEDULES = {"constant": (Constant, ()), "step": (Step, ("factor", "every")),
             "exponential": (Exponential, ("gamma",))}


def make_schedule(schedule, lr: float):
    """Build a schedule from ``None`` (constant), a schedule object, or a plain dict.

    A dict looks like ``{"kind": "step", "factor": 0.9, "every": 3}``, the shape a TOML spec uses.
    """
    if schedule is None:
        return Constant(lr)
    if isinstance(schedule, (Constant, Step, Exponential)):
        return schedule
    if callable(schedule) and not isinstance(schedule, dict):
        return schedule
    if not isinstance(schedule, dict):
        raise ValueError(f"schedule must be None, a schedule object or a dict, got {schedule!r}")
    options = dict(schedule)
    kind = options.pop("kind", None)
    if kind not in SCHEDULES:
        raise ValueError(f"schedule kind={kind!r} is not one of {', '.join(SCHEDULES)}")
    cls, fields = SCHEDULES[kind]
    unknown = set(options) - set(fields)
    missing = set(fields) - set(options)
    if unknown or missing:
        raise ValueError(f"schedule {kind!r} takes {', '.join(fields) or 'no options'}; "
                         f"unknown: {sorted(unknown)}, missing: {sorted(missing)}")
    if kind == "step":
        if not (isinstance(options["every"], int) and options["every"] >= 1):
            raise ValueError(f"schedule step 'every' must be a positive integer, got {options['every']!r}")
        if not options["factor"] > 0:
            raise ValueError(f"schedule step 'factor' must be positive, got {options['factor']!r}")
    if kind == "exponential" and not options["gamma"] > 0:
        raise ValueError(f"schedule exponential 'gamma' must be positive, got {options['gamma']!r}")
    return cls(lr, **options)
