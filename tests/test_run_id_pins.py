"""Stored results keep their identity: run ids of shipped runs, computed before any field was added.

A failure here means a change to the run configuration (a new field, a new default, a different
canonical form) re-labels results people have already stored: they would be orphaned and rerun.
New fields must stay out of the hash while they hold their default (experiments/config.py).
"""
import pytest

from experiments import catalog
from experiments.config import run_id
from experiments.study import Run
from experiments.config import FIELDS, hashed_config
from experiments.fields import Field

# (study, the point in the spec that names the run, its run id as of commit 1bbbba0; for the ids
# 0.2.0 changed on purpose, as of 0.2.0: see SUPERSEDED)
PINNED = [
    ("classics", {"dataset": "xor", "seed": 0},
     "4d2ba8faab448a6f9adc2879df0e7b7b7d99eb1cef94998b4e953977cb3c60ca"),
    ("classics", {"dataset": "digits", "seed": 9},
     "ae4e6af7a8cf6463601a538a5368912c61c249587581c27a32e75660f35cfb5a"),
    ("depth", {"depth": 4, "seed": 4}, "5effa4ca9bd9d9d4d55c208889dea528d30023578e83c855120f999a1036326a"),
    ("engines", {"engine": "scalar", "width": 10, "batch_size": 1},
     "bb46670097b30d033e0ed73480ee6f47ea262be9639b6f60644290d8c0a55ebf"),
    ("engines", {"engine": "vectorized", "width": 200, "batch_size": 1000},
     "7c41ce6af79449731cbe288c838a03e698c38783f1622f9b1ce9498d8b71c2f0"),
    ("engines_peers", {"engine": "jax", "width": 100, "batch_size": 10},
     "a763c89c86e104b5dda5903c5bd2fbacd71528a5f4c772823dc8055579554141"),
    ("final", {"seed": 0}, "75414d3cddd3c6863cddd0c5ea2544864937695fc196409a593c8635e378bfdd"),
    ("gradcheck", {"dataset": "random_regression", "hidden": [50], "seed": 2},
     "c846271e5a1a23bb2c02b1e2e974c65267a184b1729090838590d36e61d56be3"),
    ("lr", {"lr": 0.0001, "width": 20, "seed": 0},
     "adda06d10e0bded5d1e500cd56351dd3801093cb9ecc3c19b3812e1b7be68d18"),
    ("width", {"width": 100, "seed": 4}, "0ce5f7b46ae5ff7a98493598a065e40ad2e29ea8addd5817334529a2c96136af"),
    ("mnist1d", {"hidden": [100, 100], "seed": 0},
     "9f568d24e3b8770c948db5b51472dbfae213b43480e085843100ef19664a67a5"),
]
# The ids that 0.2.0 changed on purpose (CHANGELOG.md), each with the fields that changed: the default
# studies that measure losses moved from the vectorized engine to the compiled one, the long
# runs of mnist1d and classics evaluate every 5th epoch, and the engines timing studies train on
# the 50 x 50 sin-cos grid. Results stored under the old ids stay on disk, read and listed by
# `status` as superseded; the new ids differ from these in those fields alone.
VECTORIZED = {"engine": "vectorized"}
EVERY_EPOCH = {"evaluate_every": 1}
FULL_GRID = {"dataset_options": {}}
SUPERSEDED = [
    ("classics", {"dataset": "xor", "seed": 0}, VECTORIZED,
     "01121d406e885dfbf439c59e1e9907b7b603952a87814c6b5978b0196b4b8093"),
    ("classics", {"dataset": "digits", "seed": 9}, {**VECTORIZED, **EVERY_EPOCH},
     "5d959161319fe623c5ab9d02939bee520160d234b4a27e207f80a50a430ffe4d"),
    ("classics", {"dataset": "digits", "seed": 9}, EVERY_EPOCH,
     "40344d3c238ec530a8045d9995841068ddfb70ad145565958bfe05e406f6a601"),
    ("depth", {"depth": 4, "seed": 4}, VECTORIZED, "1fda61491f884028d21cf2103cff78f6548e24a10640abedd754e4a24caaefb3"),
    ("final", {"seed": 0}, VECTORIZED, "fe0a38be6f419b56ebd1843803ae33e39386773097795cf4a290c8b1bd5b0aee"),
    ("lr", {"lr": 0.0001, "width": 20, "seed": 0}, VECTORIZED,
     "47ad356c0c16b131c70f0f43e79199a220f7488c753d3e628e92c658286278b3"),
    ("width", {"width": 100, "seed": 4}, VECTORIZED, "c779a337282f1b18162324aac17a5784a6b6165513945d4ed076e4389b96d374"),
    ("mnist1d", {"hidden": [100, 100], "seed": 0}, EVERY_EPOCH,
     "7f9178026e140af036ada5353d006ebb35dc6c1b20d16ca5a51c21f5e0beb39a"),
    ("engines", {"engine": "scalar", "width": 10, "batch_size": 1}, FULL_GRID,
     "6f722c761f8ad5f76d9028266fdbd51aea8f2db97cbc25a442c9408f979d8179"),
    ("engines", {"engine": "vectorized", "width": 200, "batch_size": 1000}, FULL_GRID,
     "f6c2187c89c798c5af25dc46ccbf20b51a976f70ef8c020e2891a75e437153aa"),
    ("engines_peers", {"engine": "jax", "width": 100, "batch_size": 10}, FULL_GRID,
     "bb81899634cad841eb0c92347d9f118fa5f09e944cd42e7a4a64bd905059d78a"),
]
# The first release's fields: always hashed, defaults included, because stored ids were made so.
FIRST_RELEASE_FIELDS = {"task", "dataset", "dataset_options", "layer_sizes", "activation", "output",
                        "loss", "init", "init_scale", "engine", "reduction", "dtype", "epochs",
                        "batch_size", "lr", "schedule", "seed", "snapshot_epochs"}


def _matches(run: Run, point: dict) -> bool:
    return all(run.point.get(key) == value for key, value in point.items())


@pytest.mark.parametrize("study, point, expected", PINNED, ids=[f"{s}-{i}" for i, (s, _, _) in enumerate(PINNED)])
def test_shipped_run_ids_never_change(study, point, expected):
    runs = [run for run in catalog.find_study(study).runs if _matches(run, point)]
    assert runs, f"no run of {study} matches {point}: the pin must name a shipped run"
    assert expected in {run.run_id for run in runs}


@pytest.mark.parametrize("study, point, changed, old_id", SUPERSEDED,
                         ids=[f"{s}-{i}" for i, (s, _, _, _) in enumerate(SUPERSEDED)])
def test_a_superseded_run_id_differs_from_its_successor_in_the_changed_fields_alone(study, point, changed, old_id):
    (run,) = [run for run in catalog.find_study(study).runs if _matches(run, point)]
    assert run.run_id != old_id and all(run.config[key] != value for key, value in changed.items())
    assert run_id({**run.config, **changed}) == old_id


def test_fields_added_after_the_first_release_stay_out_of_the_hash_at_their_default():
    config = catalog.find_study("width").runs[0].config
    hashed = hashed_config(config)
    assert set(hashed) == FIRST_RELEASE_FIELDS
    for key in set(FIELDS) - FIRST_RELEASE_FIELDS:
        assert config[key] == FIELDS[key].default, key


def test_a_new_field_away_from_its_default_changes_the_run_id(monkeypatch):
    config = catalog.find_study("width").runs[0].config
    monkeypatch.setitem(FIELDS, "brand_new", Field("brand_new", str, "off", "a field added later"))
    assert run_id({**config, "brand_new": "off"}) == run_id(config)
    assert run_id({**config, "brand_new": "on"}) != run_id(config)
