"""When a long import commits what it has so far (a checkpoint), so that it can resume.

A checkpoint is an ordinary generation (written and committed atomically like the final one): readers
see the old index or the checkpoint, never a mixture, and can already search what was imported; an
interrupted import finds the checkpointed files unchanged and does not parse or embed them again.
Each checkpoint rewrites the whole index, so they are spaced by at least ``factor`` times the last one's
duration: checkpoints never take more than about 1/``factor`` of the import.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CheckpointPolicy:
    every: float  # seconds between checkpoints (0: never)
    start: float  # clock when the import began
    factor: float = 10.0
    next_at: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.next_at = self.start + self.every

    def due(self, now: float, new_documents: int) -> bool:
        """Whether to commit now: enabled, something new since the last commit, and time for it."""
        return self.every > 0 and new_documents > 0 and now >= self.next_at

    def written(self, now: float, took: float) -> None:
        self.count += 1
        self.next_at = now + max(self.every, self.factor * took)
