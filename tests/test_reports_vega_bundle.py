"""The report's Vega script bundle is made once per vl-convert version and kept in the user's cache
folder: a later build reads it instead of making it again (a second or more)."""
from importlib import metadata

import vl_convert

from reports.interactive import embed


def test_the_bundle_is_made_once_and_then_read_from_the_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    made = []
    monkeypatch.setattr(vl_convert, "javascript_bundle", lambda: made.append(1) or "/* vega */")
    assert embed.javascript_bundle() == "/* vega */"
    cached = tmp_path / "nnstudy" / f"vega-bundle-{metadata.version('vl-convert-python')}.js"
    assert cached.read_text() == "/* vega */"
    assert embed.javascript_bundle() == "/* vega */" and made == [1]
    assert not list(cached.parent.glob("*.tmp"))


def test_an_unwritable_cache_folder_costs_only_the_time(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    monkeypatch.setattr(vl_convert, "javascript_bundle", lambda: "/* vega */")
    assert embed.javascript_bundle() == "/* vega */"
