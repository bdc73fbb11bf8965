"""``nnstudy bench`` end to end on a tiny temporary git repository with a trivial benchmark file.

The commits differ in peak memory (deterministic: tracemalloc counts bytes) and the runs use a
--threshold of 900%, so no timing noise of a shared machine can change a verdict: a 10 MB
allocation against a few kB is slower whatever the load, and equal code never is.
"""
import subprocess
import textwrap

import pandas as pd
import pytest

from benchmarks import cli

BENCHMARK = textwrap.dedent("""
    def workload(size):
        return bytearray(size)


    def test_allocate(benchmark):
        benchmark(workload, {size})
""")
# Two rounds a side: too few for a p-value, so the verdicts rest on the ratio's interval (the
# statistics tests cover the p-values); each round is a process, seconds each on a busy machine.
FAST = ["--rounds", "2", "--warmup", "0", "--threshold", "900", "--max-spread", "900"]


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=test", "-c", "user.email=test@example.invalid",
                           *args], capture_output=True, text=True, check=True).stdout.strip()


def commit(repo, message, size=None, source=None):
    """Commit the benchmark file allocating ``size`` bytes per call (or ``source`` as is)."""
    path = repo / "benchmarks" / "test_tiny.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text(source if source is not None else BENCHMARK.format(size=size))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """Commits: small, docs (same code), big (10 MB a call), after (same as big), broken."""
    root = tmp_path_factory.mktemp("tiny-repo")
    git(root, "init", "-q")
    commits = {"small": commit(root, "allocate 4 kB", size=4_000)}
    (root / "NOTES.md").write_text("notes\n")
    commits["docs"] = commit(root, "notes only", size=4_000)
    commits["big"] = commit(root, "allocate 10 MB", size=10_000_000)
    (root / "NOTES.md").write_text("more notes\n")
    commits["after"] = commit(root, "more notes", size=10_000_000)
    commits["broken"] = commit(root, "a syntax error", source="def test_allocate(benchmark:\n")
    git(root, "checkout", "-q", commits["after"])
    return root, commits


def bench(monkeypatch, repo_root, *args):
    monkeypatch.chdir(repo_root)
    return cli.main(["bench", *args])


def test_compare_exits_1_when_head_is_slower_and_keeps_samples_and_history(repo, monkeypatch, tmp_path, capsys):
    root, commits = repo
    status = bench(monkeypatch, root, "compare", commits["small"], commits["big"], *FAST, "--store", str(tmp_path))
    output = capsys.readouterr().out
    assert status == cli.EXIT_SLOWER
    line = next(line for line in output.splitlines() if line.startswith("test_allocate") and " memory " in line)
    assert line.endswith("slower")
    (samples,) = (tmp_path / "compare").glob("*.parquet")
    table = pd.read_parquet(samples)
    assert sorted(table.groupby("side").size().items()) == [("base", 4), ("head", 4)]   # 2 rounds x 2 metrics
    times = table[table.metric == "time_s"]
    assert (times["reference_s"] > 0).all()   # the plugin timed its reference workload in every round
    history = pd.read_parquet(tmp_path / "history.parquet")
    assert set(history["commit"]) == {commits["small"], commits["big"]} and history["fingerprint_id"].nunique() == 1


@pytest.mark.slow
def test_compare_exits_0_when_the_code_is_the_same(repo, monkeypatch, tmp_path, capsys):
    root, commits = repo
    assert bench(monkeypatch, root, "compare", commits["small"], commits["docs"], *FAST,
                 "--store", str(tmp_path)) == cli.EXIT_OK
    assert "0 slower" in capsys.readouterr().out


@pytest.mark.slow
def test_compare_against_the_working_tree_by_default(repo, monkeypatch, tmp_path, capsys):
    root, commits = repo
    assert bench(monkeypatch, root, "compare", commits["small"], *FAST, "--store", str(tmp_path)) == cli.EXIT_SLOWER
    assert f"head {commits['after'][:10]} ({root})" in capsys.readouterr().out


def test_an_unknown_commit_exits_2_with_one_line(repo, monkeypatch, capsys):
    root, _ = repo
    assert bench(monkeypatch, root, "compare", "no-such-commit") == cli.EXIT_USAGE
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "no-such-commit" in error and "git rev-parse" in error


def test_a_selection_matching_nothing_exits_2_with_one_line(repo, monkeypatch, tmp_path, capsys):
    root, commits = repo
    assert bench(monkeypatch, root, "compare", commits["small"], *FAST, "-k", "nothing_like_this",
                 "--store", str(tmp_path)) == cli.EXIT_USAGE
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "'nothing_like_this' selects no benchmark" in error


def test_a_commit_whose_benchmarks_cannot_run_exits_125(repo, monkeypatch, tmp_path, capsys):
    root, commits = repo
    assert bench(monkeypatch, root, "compare", commits["small"], commits["broken"], *FAST,
                 "--store", str(tmp_path)) == cli.EXIT_CANNOT_RUN
    assert capsys.readouterr().err.startswith("cannot run: the benchmarks of head")


def test_history_without_a_store_exits_2(repo, monkeypatch, tmp_path, capsys):
    root, _ = repo
    assert bench(monkeypatch, root, "history", "--store", str(tmp_path)) == cli.EXIT_USAGE
    assert "no benchmark history" in capsys.readouterr().err


@pytest.mark.slow
def test_bisect_names_the_first_slower_commit(repo, monkeypatch, tmp_path, capsys):
    root, commits = repo
    status = bench(monkeypatch, root, "bisect", commits["small"], commits["after"], *FAST, "-k", "allocate",
                   "--store", str(tmp_path))
    output = capsys.readouterr().out
    assert status == cli.EXIT_SLOWER
    assert f"first slower commit: {commits['big']} allocate 10 MB" in output


@pytest.mark.slow
def test_calibrate_stores_the_noise_that_compare_then_uses(repo, monkeypatch, tmp_path, capsys):
    root, _ = repo
    assert bench(monkeypatch, root, "calibrate", *FAST, "--store", str(tmp_path)) == cli.EXIT_OK
    noise = pd.read_parquet(tmp_path / "noise.parquet")
    memory = noise[noise["metric"] == "peak_bytes"]
    assert len(memory) == 1 and memory["noise"].iloc[0] == 0.0      # the same bytes every round
    assert "noise of 2 benchmark metrics" in capsys.readouterr().out


def test_a_cpu_this_process_may_not_use_exits_2(repo, monkeypatch, capsys):
    root, commits = repo
    with pytest.raises(SystemExit) as exit_info:
        bench(monkeypatch, root, "compare", commits["small"], "--cpu", "4096")
    assert exit_info.value.code == cli.EXIT_USAGE
    assert "'4096' is not a CPU this process may use" in capsys.readouterr().err


def test_rounds_are_pinned_to_the_lowest_allowed_cpu_by_default():
    import os

    from benchmarks import rounds
    assert rounds.default_cpu() == min(os.sched_getaffinity(0))
    assert rounds.pinned_to(None) is None and callable(rounds.pinned_to(rounds.default_cpu()))


def test_make_bench_appends_its_run_to_the_history_that_history_lists(repo, monkeypatch, tmp_path, capsys):
    import json

    from benchmarks import history, records
    root, commits = repo
    run = {"machine_info": {"nnstudy": {"cpu": "Test CPU", "id": "abc123"}},
           "benchmarks": [{"fullname": "benchmarks/test_tiny.py::test_allocate", "extra_info": {"peak_memory_bytes": 4096},
                           "stats": {"min": 1e-6, "median": 2e-6, "rounds": 10}}]}
    saved = tmp_path / "last-bench.json"
    saved.write_text(json.dumps(run))
    monkeypatch.chdir(root)
    assert history.main(["record", str(saved), "--history", str(tmp_path / "history.parquet")]) == 0
    table = records.load(tmp_path / "history.parquet")
    assert sorted(table["metric"]) == ["peak_bytes", "time_s"] and set(table["commit"]) == {commits["after"]}
    assert bench(monkeypatch, root, "history", "--store", str(tmp_path)) == cli.EXIT_OK
    assert "machine abc123: Test CPU" in capsys.readouterr().out


def test_an_unreadable_history_never_decides_compare_and_is_one_line(repo, monkeypatch, tmp_path, capsys):
    root, commits = repo
    (tmp_path / "history.parquet").write_bytes(b"PAR1 torn in half")
    status = bench(monkeypatch, root, "compare", commits["small"], commits["docs"], *FAST, "--store", str(tmp_path))
    out, err = capsys.readouterr()
    assert status == cli.EXIT_OK and "0 slower" in out
    assert err.count("\n") == 1 and str(tmp_path / "history.parquet") in err and "Traceback" not in err
    assert (tmp_path / "history.parquet").read_bytes() == b"PAR1 torn in half"   # left as it was


def test_bench_history_of_an_unreadable_file_is_one_line_exit_2(repo, monkeypatch, tmp_path, capsys):
    root, _ = repo
    (tmp_path / "history.parquet").write_bytes(b"not parquet at all")
    assert bench(monkeypatch, root, "history", "--store", str(tmp_path)) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(tmp_path / "history.parquet") in err
