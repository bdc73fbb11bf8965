"""Nuisance search for fair comparisons (issue 17): the ``[search]`` space and its points
(``space``), and the two stages, trials then the winners retrained on seeds (``stages``)."""
from .space import (AT, OBJECTIVES, SAMPLERS, Nuisance, Search, applies, apply_point, check_used,
                    exp_text, parse_search, points, unit_points, unused)
from .stages import (STAGE_KEYS, STAGES, Planned, Winners, count_runs, objective_values,
                     plan_lines, retrain_runs, trial_runs, winners)

__all__ = ["AT", "OBJECTIVES", "SAMPLERS", "Nuisance", "Search", "applies", "apply_point",
           "check_used", "exp_text", "parse_search", "points", "unit_points", "unused",
           "STAGE_KEYS", "STAGES", "Planned", "Winners", "count_runs", "objective_values",
           "plan_lines", "retrain_runs", "trial_runs", "winners"]
