"""Chat safety: a re-index by another process is noticed (manifest stamp); localhost by default."""

from __future__ import annotations

import json
import os

from retrieval.ui import state


def write_manifest(index_dir, generation: str, ns: int | None = None) -> None:
    tmp = index_dir / "manifest.json.tmp"
    tmp.write_text(json.dumps({"generation": generation, "schema_version": 1}), encoding="utf-8")
    if ns is not None:
        os.utime(tmp, ns=(ns, ns))
    os.replace(tmp, index_dir / "manifest.json")  # as store.commit_generation does


def test_stamp_changes_on_every_save_even_within_one_clock_tick(tmp_path):
    assert state.manifest_stamp(tmp_path) == ()
    ns = 1_700_000_000_000_000_000
    write_manifest(tmp_path, "gen-aaaa", ns)
    first = state.manifest_stamp(tmp_path)
    assert first == state.manifest_stamp(tmp_path)  # nothing changed: same stamp, cached searcher kept
    write_manifest(tmp_path, "gen-bbbb", ns)  # same size, same mtime: a coarse clock
    second = state.manifest_stamp(tmp_path)
    assert second != first
    write_manifest(tmp_path, "gen-bbbb", ns)  # even the very same bytes, re-written
    assert state.manifest_stamp(tmp_path) != second
    (tmp_path / "manifest.json").write_text("{broken", encoding="utf-8")  # the reader reports it
    assert state.manifest_stamp(tmp_path) not in ((), first, second)


def test_current_resources_reloads_after_reindex(tmp_path, monkeypatch, fake_settings):
    """Each run asks for the resources of the current stamp: same index, same cached entry; a new
    generation, a new entry (st.cache_resource keys on the stamp)."""
    settings = fake_settings.with_(index_dir=tmp_path)
    calls: list[tuple] = []
    monkeypatch.setattr(state, "load_resources", lambda _s, key, stamp: calls.append(stamp) or stamp)
    write_manifest(tmp_path, "gen-1")
    a, b = state.current_resources(settings), state.current_resources(settings)
    write_manifest(tmp_path, "gen-2")
    c = state.current_resources(settings)
    assert a == b and c != a and c[-1] == "gen-2" and len(calls) == 3


def test_chat_listens_on_localhost_by_default():
    """No authentication yet: the project's Streamlit config binds the loopback address only, and the
    Makefile's run target does not override it."""
    import re
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    runs = [line for line in makefile.splitlines() if "streamlit run" in line]
    assert runs and not any(re.search(r"server\.address[ =](?!127\.0\.0\.1|localhost)", r) for r in runs)
