"""bayops: terminal operations console for blade-server fleets."""
