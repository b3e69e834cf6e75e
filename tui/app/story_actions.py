"""The main screen's actions for a bay's story, its notes and the hand-over (issue 21).
The core builds every answer (tui.core.ops.story); these only ask and show. A helper
the main screen owns (``screen.story``); its ``action_*`` methods hand over."""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from tui.model.errors import BayopsError

if TYPE_CHECKING:
    from tui.app.main_screen import MainScreen
    from tui.client.protocol import Client


class StoryActions:
    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.permissions = screen.permissions

    def open_story(self, bay_id: str) -> None:
        try:
            story = self.screen.core.bay_story(bay_id)
        except BayopsError as exc:
            self.screen.refuse(exc)
            return
        from tui.app.story_screen import StoryScreen  # a dialog: imported when first shown

        self.screen.app.push_screen(StoryScreen(story, self.open_job))

    def open_job(self, job_id: int) -> None:
        from tui.app.job_screen import JobScreen

        self.screen.app.push_screen(JobScreen(job_id, self.screen.core.job))

    def note(self) -> None:
        bay = self.permissions.allowed_bay("note")
        if bay is None:
            return
        core = self.screen.core

        def answered(text: str | None) -> None:
            if text is None:
                return
            label = f"note on {bay.id}"

            def work() -> str:  # the note itself is not repeated: notifications are markup
                core.note_bay(bay.id, text or None)
                return "cleared" if not text else "saved"
            self.screen.bayops.start_job(label, work)
        from tui.app.story_screen import NoteScreen

        self.screen.app.push_screen(NoteScreen(bay), answered)

    def handover(self) -> None:
        core = self.screen.core
        try:
            summary = core.handover()
        except BayopsError as exc:
            self.screen.refuse(exc)
            return
        from tui.app.story_screen import LinesScreen
        from tui.story_text import handover_lines

        self.screen.app.push_screen(LinesScreen("Hand-over (esc closes)", handover_lines(summary)))
        self.screen.run_worker(lambda: mark_looked(core, summary.until), thread=True,  # shown
                               exit_on_error=False, group="looked")


def mark_looked(core: Client, at: float | None = None) -> None:
    """Record the operator's last look (the next hand-over starts there); read-only, or a
    server that is gone, records nothing."""
    if not core.read_only:
        with contextlib.suppress(BayopsError):
            core.mark_looked(at)
