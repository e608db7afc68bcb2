"""The drill's clock: time left, position in the drill and score so far."""

from __future__ import annotations

import time

from textual.message import Message
from textual.widgets import Static

from k8slearn.drills.session import Drill


class Countdown(Static):
    """Ticks once a second; posts `Expired` once when the drill's time is up."""

    class Expired(Message):
        pass

    def __init__(self, drill: Drill, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.drill = drill
        self._expired = False

    def on_mount(self) -> None:
        self._tick(expire=False)  # the screen is still mounting: only the interval may end it
        self.set_interval(1.0, self._tick)

    def _tick(self, expire: bool = True) -> None:
        left = self.drill.remaining(time.time())
        minutes, seconds = divmod(int(left), 60)
        score = sum(i.points for i in self.drill.items)
        position = min(self.drill.current + 1, len(self.drill.items))
        self.update(
            f"⏱ {minutes:02d}:{seconds:02d}  ·  exercise {position}/{len(self.drill.items)}"
            f"  ·  score {score:g}  ·  hints cost {0.25:g} each, F3 ends the exercise as failed"
        )
        self.set_class(left < 60, "hurry")
        if expire and left <= 0 and not self._expired:
            self._expired = True
            self.post_message(self.Expired())
