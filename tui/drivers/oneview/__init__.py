"""The HPE OneView driver: profiles that live on the appliance. See docs/oneview.md."""

from tui.drivers.oneview.driver import OneViewDriver

__all__ = ["OneViewDriver"]
