"""Plumbing for bench/dashboard_real.py: a private tmux server, screen scraping, /proc.

One tmux server per run on its own socket (`tmux -L bayops-bench-PID`), driven through
one control-mode client (`tmux -C`) attached to an idle keeper session: every command
(new-session, send-keys, capture-pane) is a line on a pipe instead of a forked tmux
client, so polling the screen every few milliseconds costs microseconds, not a process.
The measured sessions have no client attached, so they keep their 120x40 size.
"""
from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
TMUX_CONF = """\
set -g default-terminal xterm-256color
set -g status off
set -g remain-on-exit on
set -g history-limit 100
set -g exit-empty off
set -g default-size 120x40
"""


class TmuxError(RuntimeError):
    pass


class Tmux:
    def __init__(self, workdir: Path, env: dict[str, str], size: tuple[int, int] = (120, 40)) -> None:
        self.socket = f"bayops-bench-{os.getpid()}"
        self.size = size
        self.conf = workdir / "tmux.conf"
        self.conf.write_text(TMUX_CONF)
        self.env = env
        self.base = ["tmux", "-u", "-L", self.socket, "-f", str(self.conf)]
        subprocess.run([*self.base, "new-session", "-d", "-s", "keep", "-x", "80", "-y", "24",
                        "sleep 1000000"], env=env, check=True)
        self.client = subprocess.Popen([*self.base, "-C", "attach", "-t", "keep"], env=env,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    # -- the control channel ----------------------------------------------------------------
    def cmd(self, line: str) -> str:
        """Run one tmux command; its output. Only blocks flagged 1 (ours) are answers."""
        assert self.client.stdin and self.client.stdout
        self.client.stdin.write(line.encode() + b"\n")
        self.client.stdin.flush()
        out: list[bytes] = []
        inside = False
        while True:
            raw = self.client.stdout.readline()
            if not raw:
                raise TmuxError(f"tmux control client ended during: {line}")
            raw = raw.rstrip(b"\n")
            if not inside:
                inside = raw.startswith(b"%begin ") and raw.endswith(b" 1")
                continue
            if raw.startswith((b"%end ", b"%error ")) and raw.endswith(b" 1"):
                text = b"\n".join(out).decode("utf-8", "replace")
                if raw.startswith(b"%error"):
                    raise TmuxError(f"{line}: {text}")
                return text
            out.append(raw)

    def capture(self, target: str, escapes: bool = False) -> str:
        return self.cmd(f"capture-pane -p {'-e ' if escapes else ''}-t {target}")

    def new(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        extra = " ".join(f"-e {shlex.quote(f'{k}={v}')}" for k, v in (env or {}).items())
        self.cmd(f"new-session -d -s {name} -x {self.size[0]} -y {self.size[1]} {extra} "
                 + " ".join(shlex.quote(a) for a in argv))

    def pane_pid(self, name: str) -> int:
        return int(self.cmd(f"display -p -t {name} '#{{pane_pid}}'").strip())

    def send(self, name: str, key: str) -> None:
        self.cmd(f"send-keys -t {name} {key}")

    def pipe(self, name: str, path: Path | None) -> None:
        """Copy everything the pane's program writes to ``path`` (None: stop)."""
        if path is None:
            self.cmd(f"pipe-pane -t {name}")
        else:
            self.cmd(f"pipe-pane -o -t {name} {shlex.quote('cat >> ' + shlex.quote(str(path)))}")

    def kill(self, name: str, pid: int | None = None) -> None:
        """End a session (its program gets SIGHUP) and wait for the program to be gone."""
        with contextlib.suppress(TmuxError):
            self.cmd(f"kill-session -t {name}")
        if pid is not None:
            wait_gone(pid, 10.0)

    def close(self) -> None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run([*self.base, "kill-server"], env=self.env, capture_output=True, timeout=10)
        if self.client.poll() is None:
            self.client.kill()
        self.client.wait()


# -- the process side ---------------------------------------------------------------------------
def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def wait_gone(pid: int, timeout: float) -> None:
    end = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < end:
        time.sleep(0.02)
    if alive(pid):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        while alive(pid) and time.monotonic() < end + 5:
            time.sleep(0.02)


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """utime+stime of ``pid`` (all its threads) and of its live descendants, plus the
    reaped children it waited for (cutime+cstime)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(_stat(int(entry))[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, todo = {pid}, [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in tree:
                tree.add(child)
                todo.append(child)
    ticks = 0
    for p in tree:
        try:
            fields = _stat(p)
        except OSError:
            continue
        ticks += sum(int(x) for x in fields[11:13])  # utime, stime
        if p == pid:
            ticks += sum(int(x) for x in fields[13:15])  # cutime, cstime
    return ticks / CLK_TCK


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# -- reading a styled screen ----------------------------------------------------------------------
SGR = re.compile(r"\x1b\[([0-9;:]*)m")
Style = tuple[str | None, bool]  # (background, reverse video)


def styled_cells(screen: str) -> list[list[tuple[Style, str]]]:
    """``capture-pane -e`` output as lines of (style, text) runs. The style is what a
    highlight changes: the background and reverse video. State carries across lines."""
    bg: str | None = None
    reverse = False
    lines = []
    for line in screen.split("\n"):
        runs: list[tuple[Style, str]] = []
        pos = 0
        for m in SGR.finditer(line):
            if m.start() > pos:
                runs.append(((bg, reverse), line[pos:m.start()]))
            pos = m.end()
            params = list(m.group(1).replace(":", ";").split(";"))
            i = 0
            while i < len(params):
                p = params[i]
                if p in ("", "0"):
                    bg, reverse = None, False
                elif p == "7":
                    reverse = True
                elif p == "27":
                    reverse = False
                elif p in ("38", "48"):
                    width = 3 if params[i + 1:i + 2] == ["5"] else 5
                    if p == "48":
                        bg = ";".join(params[i:i + width])
                    i += width - 1
                elif p == "49":
                    bg = None
                elif p.isdigit() and (40 <= int(p) <= 47 or 100 <= int(p) <= 107):
                    bg = p
                i += 1
        if pos < len(line):
            runs.append(((bg, reverse), line[pos:]))
        lines.append(runs)
    return lines


def gained_styles(before: str, after: str) -> list[Style]:
    """Styles that appear on a line after a key press that were not on that line before,
    most specific first (a background before reverse video): the cursor's highlight."""
    found: list[Style] = []
    for b, a in zip(styled_cells(before), styled_cells(after), strict=False):
        if a == b:
            continue
        new = {style for style, _ in a} - {style for style, _ in b}
        found += [s for s in new if s not in found]
    return sorted(found, key=lambda s: (s[0] is None, s[1]))


def highlight(screen: str, style: Style) -> tuple[tuple[int, str], ...]:
    """Where a style is on screen: (line, text drawn in that style) for each line."""
    out = []
    for n, runs in enumerate(styled_cells(screen)):
        text = "".join(t for s, t in runs if s == style)
        if text.strip():
            out.append((n, text))
    return tuple(out)
