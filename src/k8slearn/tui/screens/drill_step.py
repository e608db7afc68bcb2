"""What every screen that can be one step of a drill shares: its clock, hints and ending."""

from __future__ import annotations

import time

from textual.screen import Screen

from k8slearn.drills.session import Drill


class DrillStep(Screen):
    """A screen for one exercise, standalone or inside a drill (`drill` is then set)."""

    def __init__(self, drill: Drill | None = None) -> None:
        super().__init__()
        self.drill = drill
        self.hints_shown = 0
        self.started = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def finish_item(
        self,
        passed: bool,
        failed_checks: list[str],
        note: str = "",
        delay: float = 0.0,
        solution_shown: bool = False,
    ) -> None:
        """Hand this drill item's outcome to the app, which records it and moves on."""
        self.app.finish_drill_item(
            passed,
            self.elapsed,
            self.hints_shown,
            failed_checks,
            note=note,
            solution_shown=solution_shown,
            delay=delay,
        )

    def skip_item(self) -> None:
        self.finish_item(False, ["skipped"], note="skipped")

    def action_leave(self) -> None:
        if self.drill is not None:
            self.app.end_drill()
        else:
            self.app.pop_screen()

    def on_countdown_expired(self) -> None:
        self.app.end_drill()
