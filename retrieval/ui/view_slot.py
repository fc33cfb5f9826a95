"""A loaded archive view that stays served while its successor loads (server mode).

Loading a reader's view of the database takes seconds at archive scale (measured: 10 s at 100k chunks,
mostly decoding chunks and indexing number mentions), and every write by any indexer moves the
database's ``data_version``. Rather than make the next user of every view wait, ``ViewSlot`` keeps
serving the view it has and loads the new one in a background thread, then swaps it in; only a slot
with no view yet, or a caller that asks to wait (the editor who just wrote), loads in the foreground.
One load at a time per slot; a failed background load keeps the old view and is retried on the next
request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
V = TypeVar("V")


@dataclass(frozen=True)
class Served(Generic[V]):
    view: V
    version: int
    updating: bool  # a newer version is being loaded in the background


class ViewSlot(Generic[V]):
    def __init__(
        self,
        load: Callable[[], tuple[int, V]],
        start: Callable[[threading.Thread], None] | None = None,
    ) -> None:
        """``load()`` returns (the data version it saw, the view); ``start`` starts a background thread
        (default ``Thread.start``; the app attaches its script context first)."""
        self._load = load
        self._start = start or threading.Thread.start
        self._lock = threading.Lock()
        self._fg = threading.Lock()  # one foreground load at a time
        self._view: V | None = None
        self._version = -1
        self._building = False
        self.last_error: BaseException | None = None

    def get(self, version: int, wait: bool = False) -> Served[V]:
        """A view at ``version`` or newer; else the current one while a newer loads (``wait``: load it
        now). Raises what ``load`` raises when there is no view to serve."""
        with self._lock:
            if self._view is not None and self._version >= version:
                return Served(self._view, self._version, False)
            if self._view is not None and not wait:
                if not self._building:
                    self._building = True
                    self._start(threading.Thread(target=self._background, daemon=True, name="tracuu-view"))
                return Served(self._view, self._version, True)
        with self._fg:
            with self._lock:  # loaded by another caller meanwhile
                if self._view is not None and self._version >= version:
                    return Served(self._view, self._version, False)
            got_version, view = self._load()
            self._offer(got_version, view)
        with self._lock:
            return Served(self._view, self._version, self._version < version)

    def _offer(self, version: int, view: V) -> None:
        with self._lock:
            if version >= self._version:
                self._view, self._version = view, version

    def _background(self) -> None:
        try:
            self._offer(*self._load())
            self.last_error = None
        except Exception as exc:  # noqa: BLE001 - the old view stays; the next request retries
            log.warning("background view load failed: %s", exc, exc_info=True)
            self.last_error = exc
        finally:
            with self._lock:
                self._building = False
