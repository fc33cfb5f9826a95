"""ViewSlot: a loaded view keeps being served while a newer one loads in the background."""

from __future__ import annotations

import threading
import time

import pytest

from retrieval.ui.view_slot import ViewSlot


class Loader:
    """Loads 'view@<version>' for the database's current version; can be held or made to fail."""

    def __init__(self) -> None:
        self.db_version = 1
        self.calls = 0
        self.gate = threading.Event()
        self.gate.set()
        self.fail = False

    def __call__(self) -> tuple[int, str]:
        self.calls += 1
        v = self.db_version
        assert self.gate.wait(10)
        if self.fail:
            raise RuntimeError("database gone")
        return v, f"view@{v}"


def _until(cond, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_first_load_waits_then_newer_versions_load_in_the_background() -> None:
    load = Loader()
    slot = ViewSlot(load)
    first = slot.get(1)
    assert (first.view, first.updating, load.calls) == ("view@1", False, 1)
    assert slot.get(1).view == "view@1" and load.calls == 1  # cached

    load.db_version = 2
    load.gate.clear()  # the new load is slow
    stale = slot.get(2)
    assert (stale.view, stale.updating) == ("view@1", True)  # served at once, not blocked
    assert slot.get(2).view == "view@1" and load.calls == 2  # one background load at a time
    load.gate.set()
    _until(lambda: slot.get(2).view == "view@2")
    assert slot.get(2).updating is False


def test_wait_loads_in_the_foreground_for_the_writer() -> None:
    load = Loader()
    slot = ViewSlot(load)
    slot.get(1)
    load.db_version = 3
    got = slot.get(3, wait=True)
    assert (got.view, got.updating) == ("view@3", False)


def test_a_failed_background_load_keeps_the_old_view_and_retries() -> None:
    load = Loader()
    slot = ViewSlot(load)
    slot.get(1)
    load.db_version, load.fail = 2, True
    assert slot.get(2).view == "view@1"
    _until(lambda: slot.last_error is not None)
    _until(lambda: not slot._building)
    load.fail = False
    assert slot.get(2).view == "view@1"  # retried in the background
    _until(lambda: slot.get(2).view == "view@2")


def test_no_view_and_a_failing_load_raises() -> None:
    load = Loader()
    load.fail = True
    with pytest.raises(RuntimeError, match="database gone"):
        ViewSlot(load).get(1)
