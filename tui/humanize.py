"""Small text helpers shared by the CLI and the dashboard."""


def duration(seconds: float) -> str:
    """``45s``, ``12m``, ``3h05m``: how operators read a lease or a job's age."""
    seconds = int(abs(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
