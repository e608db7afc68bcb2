"""The home screen: packs → lessons → exercises with progress marks, and "continue"."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Markdown, Static, Tree

from k8slearn.packs.model import Exercise, Lesson, Pack

MARKS = {"passed": "✓", "attempted": "◐", "new": "·"}

WELCOME = """\
# Welcome to k8slearn

Pick an exercise on the left (arrows, **Enter**). Each one gives you a small cluster — pods,
namespaces, labels — and asks for Services or NetworkPolicies. Write the YAML, press **F5**,
and k8slearn judges it as a cluster would: first as the API server, then by what it *does*.

**c** continues where you left off · **d** starts a 5-exercise, 15-minute drill (due reviews
first) · **F1** help · **ctrl+q** quit.
"""


class HomeScreen(Screen):
    CSS_PATH = "home.tcss"
    BINDINGS = [
        Binding("c", "continue", "Continue", id="continue"),
        Binding("d", "drill", "Drill", id="drill"),
        Binding("enter", "open", "Open", id="open", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="home-main"):
            with Vertical(id="home-left"):
                yield Button("Continue where I left off (c)", id="continue", variant="primary")
                yield Tree("Packs", id="packs")
            with VerticalScroll(id="home-detail"):
                yield Markdown(WELCOME, id="detail")
        yield Static("", id="home-summary")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = "k8slearn"
        self.sub_title = "Services & NetworkPolicies"
        self.query_one("#packs", Tree).focus()

    def on_screen_resume(self) -> None:
        # Also runs when the screen is first shown, right after on_mount: fill the tree once.
        self.refresh_tree()

    def refresh_tree(self) -> None:
        tree = self.query_one("#packs", Tree)
        store = self.app.store
        last = store.get_state("last_exercise")
        tree.clear()
        tree.root.expand()
        done = total = 0
        cursor_node = None
        for pack in self.app.library.packs:
            pack_node = tree.root.add(f"{pack.title}", data=pack, expand=True)
            for lesson in pack.lessons:
                statuses = [store.status(ex.qualified_id) for ex in lesson.exercises]
                passed = statuses.count("passed")
                lesson_node = pack_node.add(
                    f"{lesson.title}  [dim]{passed}/{len(statuses)}[/]",
                    data=lesson,
                    expand=any(ex.qualified_id == last for ex in lesson.exercises),
                )
                for ex, status in zip(lesson.exercises, statuses, strict=True):
                    style = {"passed": "green", "attempted": "yellow"}.get(status, "dim")
                    node = lesson_node.add_leaf(f"[{style}]{MARKS[status]}[/] {ex.title}", data=ex)
                    if ex.qualified_id == last:
                        cursor_node = node
                done += passed
                total += len(statuses)
        button = self.query_one("#continue", Button)
        button.display = self._continue_target() is not None
        from k8slearn.progress.schedule import due_exercises

        known = {e.qualified_id for e in self.app.library.exercises()}
        due = len(known & set(due_exercises(store)))
        self.query_one("#home-summary", Static).update(
            f" {done}/{total} exercises passed · {due} due for review today (d: drill) · "
            "✓ passed  ◐ attempted  · new"
        )
        if cursor_node is not None:
            tree.move_cursor(cursor_node)
        for problem in self.app.library.problems[:3]:
            self.notify(problem.located(), severity="warning", timeout=8)

    def _continue_target(self) -> Exercise | None:
        last = self.app.store.get_state("last_exercise")
        if last:
            found, _ = self.app.library.find(last)
            if found is not None:
                return found
        return None

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        data = event.node.data
        detail = self.query_one("#detail", Markdown)
        if isinstance(data, Exercise):
            status = self.app.store.status(data.qualified_id)
            tags = ", ".join(f"`{t}`" for t in data.tags)
            detail.update(
                f"# {data.title}\n\n*{status}* · `{data.qualified_id}` · {tags}\n\n"
                f"{data.prompt}\n\n**Enter** opens it."
            )
        elif isinstance(data, Lesson):
            detail.update(data.body)
        elif isinstance(data, Pack):
            detail.update(f"# {data.title}\n\n{data.description}\n\nVersion {data.version}.")

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        if isinstance(event.node.data, Exercise):
            self.app.open_exercise(event.node.data)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "continue":
            self.action_continue()

    def action_continue(self) -> None:
        target = self._continue_target()
        if target is None:
            first = next(iter(self.app.library.exercises()), None)
            if first is None:
                self.notify("No exercises found.", severity="warning")
                return
            target = first
        self.app.open_exercise(target)

    def action_drill(self) -> None:
        self.app.start_drill()  # the app's default options: no import of the app from here

    def action_open(self) -> None:
        node = self.query_one("#packs", Tree).cursor_node
        if node is not None and isinstance(node.data, Exercise):
            self.app.open_exercise(node.data)
