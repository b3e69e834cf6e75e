"""The Redfish driver: real BMCs over DMTF Redfish (DSP0266). See docs/redfish.md."""

from tui.drivers.redfish.driver import RedfishDriver

__all__ = ["RedfishDriver"]
