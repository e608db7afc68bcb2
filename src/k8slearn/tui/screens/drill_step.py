"""What every screen that can be one step of a drill shares: its clock, hints and ending.

A step finishes only its own item: a key that lands on a screen whose item the drill has
already left (an auto-advance is under way) does nothing, and a next/skip key pressed
before the item was painted, or within NEXT_GUARD seconds after, is ignored — so a
ctrl+n typed as the drill moves on by itself cannot skip the item that follows. The
key's own time stamp counts, not when a busy app got round to handling it.
"""

from __future__ import annotations

import time

from textual.screen import Screen

from k8slearn.drills.session import SKIPPED_BY_LEARNER, Drill

try:  # the clock Textual stamps keys and clicks with (monotonic; perf_counter on Windows)
    from textual._time import get_time as input_clock
except ImportError:  # pragma: no cover - a Textual without it: close enough
    input_clock = time.monotonic

NEXT_GUARD = 0.7  # seconds after an item appears during which next/skip is ignored
NEXT_KEY_HINT = "press ctrl+n for the next item"


class DrillStep(Screen):
    """A screen for one exercise, standalone or inside a drill (`drill` is then set)."""

    CSS_PATH = "drill_step.tcss"

    def __init__(self, drill: Drill | None = None) -> None:
        super().__init__()
        self.drill = drill
        self.drill_item = drill.item if drill is not None else None  # the drill item shown here
        self.hints_shown = 0
        self.started = time.monotonic()
        self.shown_at: float | None = None  # when the item was first painted

    def on_screen_resume(self) -> None:
        self.shown_at = None
        self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        self.shown_at = input_clock()

    def _too_soon(self) -> bool:
        """Whether the input being handled came before, or just after, this item appeared."""
        if self.shown_at is None:
            return True
        pressed = getattr(self.app, "last_input_time", None)
        pressed = input_clock() if pressed is None else pressed
        return pressed - self.shown_at < NEXT_GUARD

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def holds_current_item(self) -> bool:
        """In a drill, whether the drill is still on this screen's item."""
        return (
            self.drill is not None
            and self.drill_item is not None
            and self.drill.item is self.drill_item
        )

    def note_failed_check(self, failed_checks: list[str]) -> None:
        """A check failed but the item stays open: remember why, for stop, skip or time-out."""
        if (
            self.holds_current_item
            and self.drill_item is not None
            and self.drill_item.passed is None
        ):
            self.drill_item.failed_checks = failed_checks

    def finish_item(
        self,
        passed: bool,
        failed_checks: list[str],
        note: str = "",
        delay: float = 0.0,
        solution_shown: bool = False,
        skipped: bool = False,
        advance: bool = True,
    ) -> None:
        """Hand this drill item's outcome to the app, which records it and (maybe) moves on."""
        if not self.holds_current_item or self.drill_item is None:
            return
        self.app.finish_drill_item(
            self.drill_item,
            passed,
            self.elapsed,
            self.hints_shown,
            failed_checks,
            note=note,
            solution_shown=solution_shown,
            skipped=skipped,
            delay=delay,
            advance=advance,
        )

    def skip_item(self) -> None:
        """Move on from an unanswered item: a failure if a check of it failed, else a skip."""
        if self.drill_item is not None and self.drill_item.failed_checks:
            self.finish_item(
                False, self.drill_item.failed_checks, note="moved on after a failing check"
            )
        else:
            self.finish_item(False, [], note=SKIPPED_BY_LEARNER, skipped=True)

    def drill_next(self) -> None:
        """ctrl+n in a drill: go on from an answered item, or skip an unanswered one."""
        if not self.holds_current_item or self.drill_item is None:
            return  # the drill has already moved on from this screen
        if self._too_soon():
            self.notify("This item has only just appeared: ctrl+n again to move on.", timeout=2)
            return
        if self.drill_item.passed is not None:
            self.app.next_drill_item(self.drill_item)
        else:
            self.skip_item()

    def action_leave(self) -> None:
        if self.drill is not None:
            self.app.end_drill()
        else:
            self.app.pop_screen()

    def on_countdown_expired(self) -> None:
        self.app.end_drill()
