"""A config field is one declaration: the runs table, its docs and old results follow from it."""
import re
from pathlib import Path

import pyarrow.parquet as pq

import experiments
from experiments import fields, schemas, store
from experiments.fields import config_columns
from experiments.catalog import find_study

DOCS = Path(__file__).parents[1] / "docs" / "results-schema.md"
OLD_RESULTS = Path(__file__).parent / "fixtures" / "results-9681add" / "results"


def _doc_tables() -> dict[str, set[str]]:
    """Per ``## `table`` heading of the schema doc, the column names its tables list."""
    tables, current = {}, None
    for line in DOCS.read_text().splitlines():
        heading = re.match(r"## `(\w+)`", line)
        if heading:
            current = heading.group(1)
            tables[current] = set()
        elif current and line.startswith("| ") and not line.startswith(("| column", "| ---")):
            tables[current].update(name.strip() for name in line.split("|")[1].split(","))
    return tables


def test_the_docs_field_table_is_the_one_the_declarations_give():
    text = DOCS.read_text()
    table = text.split("<!-- fields:begin -->\n")[1].split("\n<!-- fields:end -->")[0]
    assert table == fields.doc_table()


def test_the_docs_list_every_column_of_every_table_and_no_other():
    documented = _doc_tables()
    for table, schema in schemas.SCHEMAS.items():
        assert documented[table] == set(schema.names), table


def test_every_field_is_a_runs_column_of_its_declared_type():
    schema = schemas.RUNS_SCHEMA
    for name, declared in fields.FIELDS.items():
        assert schema.field(name).type == declared.column_type, name
    config = find_study("init").runs[0].config
    columns = config_columns(config)
    assert set(columns) == set(fields.FIELDS) | set(fields.DERIVED_COLUMNS)
    assert columns["activation_stats_epochs"] == config["activation_stats_epochs"] != []
    row = {"run_id": "x", "study": "s", "status": "ok", **columns}
    assert store.to_arrow("runs", [row]).column("evaluate_every").to_pylist() == [1]


def test_runs_stored_before_a_field_existed_read_its_default():
    runs = experiments.load("width-quick", "runs", results=OLD_RESULTS)
    shard = next((OLD_RESULTS / "width-quick" / "runs").glob("*.parquet"))
    names = pq.ParquetFile(shard).schema_arrow.names
    assert "evaluate_every" not in names and "activation_stats_epochs" not in names
    assert runs["evaluate_every"].tolist() == [1, 1]
    assert [list(v) for v in runs["activation_stats_epochs"]] == [[], []]


def test_the_user_docs_key_table_names_every_field():
    text = (DOCS.parent / "experiments.md").read_text()
    table = text.split("### Run configuration keys")[1].split("\n\n| key |")[1].split("\n\n")[0]
    keys = set(re.findall(r"^\| ([^|]+) \|", table, flags=re.M))
    documented = {name for cell in keys for name in re.findall(r"`(\w+)`", cell)}
    assert set(fields.FIELDS) <= documented


def test_a_grid_over_a_newer_field_is_a_factor_of_the_generic_report(tmp_path):
    from experiments.cli import main
    from experiments.spec import load_spec
    from reports.data import Messages, load_study
    from reports.generic import factors

    path = tmp_path / "ev.toml"
    path.write_text('name = "ev"\n[base]\ndataset = "sincos"\ndataset_options = { step = 0.5 }\n'
                    "width = 5\nepochs = 2\n[grid]\nevaluate_every = [1, 2]\n")
    results = str(tmp_path / "results")
    assert main(["sweep", str(path), "--results", results, "--backend", "serial", "--quiet"]) == 0
    study = load_study("ev", results, Messages(), spec=load_spec(path))
    assert factors(study) == ["evaluate_every"]  # two configurations, not two seeds of one
