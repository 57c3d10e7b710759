"""What a step of the billing run reports: counts, a sample of what it did, its errors."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("hutor.billing")

SAMPLE_SIZE = 5  # examples kept per step (what a dry run prints)
ERRORS_KEPT = 50  # errors kept per step in the run's record; all are counted

# progress(step, done, total)
Progress = Callable[[str, int, int], None]


@dataclass
class StepReport:
    step: str
    progress: Progress | None = None
    # Seconds to rest after each committed item or batch (HUTOR_BILLING_PAUSE_MS), so that on
    # SQLite, where one writer holds the database at a time, web requests get their turn.
    pause: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)
    sample: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0

    def add(self, key: str, n: int = 1) -> None:
        if n:  # a count that stays zero is left out of the record
            self.counts[key] += n

    def example(self, text: str) -> None:
        if len(self.sample) < SAMPLE_SIZE:
            self.sample.append(text)

    def error(self, obj: str, exc: BaseException) -> None:
        """An item the step could not process: it is left as it was, for the next run."""
        self.error_count += 1
        self.counts["errors"] += 1
        message = f"{type(exc).__name__}: {exc}"[:500]
        log.error("billing step=%s object=%r error=%r", self.step, obj, message)
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append({"step": self.step, "object": obj, "error": message})

    def advance(self, done: int, total: int) -> None:
        """Called after each item or batch is committed."""
        if self.progress is not None:
            self.progress(self.step, done, total)
        if self.pause:
            time.sleep(self.pause)
