"""The boot override: Continuous or Once, the mode, settings objects, and what a
power-on must do about them.

What is written follows what the BMC advertises:

- no ``BootSourceOverrideTarget``/``Enabled`` in ``Boot``: nothing is PATCHed, the
  override is reported as not applied;
- ``BootSourceOverrideEnabled@Redfish.AllowableValues`` without ``Continuous`` but with
  ``Once``: a one-time override, written again before every power-on bayops performs;
- ``BootSourceOverrideMode`` present: set too, to the mode the system reports now (a
  profile does not say how its LUN was installed, so bayops never flips a server between
  Legacy and UEFI), UEFI when it reports none;
- ``@Redfish.Settings``: the change goes to the settings object, is reported as staged,
  and is verified on the system itself after the next power-on.

:class:`Boot` remembers, per bay, what was written for the profile (in this process)
so that :mod:`.power` can re-apply a one-time override, restart a server already on,
and verify staged settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui.drivers.redfish import odata
from tui.drivers.redfish.bmc import Bmc
from tui.drivers.redfish.config import SystemSpec
from tui.drivers.redfish.errors import BmcError
from tui.drivers.redfish.fleet import Fleet
from tui.drivers.redfish.writes import Outcome, patch

OVERRIDE_KEYS = ("BootSourceOverrideTarget", "BootSourceOverrideEnabled")


@dataclass
class Intent:
    """What a bay's boot override must be for its profile."""

    target: str
    enabled: str  # Continuous or Once
    mode: str | None
    staged: bool  # written to a settings object: takes effect at the next boot
    changed: bool = True  # not booted with these settings yet


def _allowed(boot: dict[str, Any], key: str) -> list[str] | None:
    values = boot.get(f"{key}@Redfish.AllowableValues")
    return [str(v) for v in values] if isinstance(values, list) else None


def write_path(body: dict[str, Any], path: str, bmc: Bmc) -> tuple[str, bool]:
    """Where boot settings are written: the system, or its settings object (staged)."""
    settings = odata.obj(body, "@Redfish.Settings")
    target = odata.link(settings, "SettingsObject")
    if target:
        return bmc.same_origin_path(target, path), True
    return path, False


class Boot:
    def __init__(self, fleet: Fleet) -> None:
        self._fleet = fleet
        self.intents: dict[str, Intent] = {}

    async def _write(self, bmc: Bmc, spec: SystemSpec, where: str, patch_body: dict[str, Any]) -> Outcome:
        cfg = self._fleet.cfg
        return await patch(bmc, spec.credentials, where, {"Boot": patch_body},
                           cfg.power_deadline, cfg.poll_interval)

    async def set_san(self, bay: str, bmc: Bmc, spec: SystemSpec, path: str,
                      body: dict[str, Any]) -> tuple[bool, str]:
        """Override to the disk the SAN LUN appears as. (took or staged, label)."""
        self.intents.pop(bay, None)
        boot = odata.obj(body, "Boot")
        if not any(k in boot for k in OVERRIDE_KEYS):
            return False, ("boot override for boot-from-SAN (the system advertises no "
                           "BootSourceOverride properties)")
        allowed = _allowed(boot, "BootSourceOverrideTarget")
        target = "RemoteDrive" if allowed and "RemoteDrive" in allowed else "Hdd"
        if allowed is not None and target not in allowed:
            return False, f"boot override to disk (BMC offers only {', '.join(allowed)})"
        enables = _allowed(boot, "BootSourceOverrideEnabled")
        enabled = "Continuous" if enables is None or "Continuous" in enables else "Once"
        if enables is not None and enabled not in enables:
            return False, f"boot override (BMC offers neither Continuous nor Once: {', '.join(enables)})"
        mode = None
        if "BootSourceOverrideMode" in boot:
            modes = _allowed(boot, "BootSourceOverrideMode")
            current = boot.get("BootSourceOverrideMode")
            if isinstance(current, str) and current and (modes is None or current in modes):
                mode = current
            else:
                mode = "UEFI" if modes is None or "UEFI" in modes else modes[0] if modes else None
        intent = Intent(target, enabled, mode, staged=False)
        label = f"boot override {target} ({enabled.lower()}{', ' + mode if mode else ''}) for boot-from-SAN"
        outcome, staged = await self._apply(bmc, spec, path, body, intent)
        if not outcome.ok:
            return False, f"{label}: {outcome.why}" + (f" ({outcome.words()})" if outcome.messages else "")
        intent.staged = staged
        self.intents[bay] = intent
        if staged:
            label += ": staged in the BMC's settings object, applies at next boot (verified after power-on)"
        if enabled == "Once":
            label += "; the BMC allows only Once: re-applied before each power-on bayops performs"
        if outcome.messages:
            label += f" (task: {outcome.words()})"
        return True, label

    async def _apply(self, bmc: Bmc, spec: SystemSpec, path: str, body: dict[str, Any],
                     intent: Intent) -> tuple[Outcome, bool]:
        """Write ``intent`` and read it back. (outcome, staged)."""
        where, staged = write_path(body, path, bmc)
        patch_body: dict[str, Any] = {"BootSourceOverrideEnabled": intent.enabled,
                                      "BootSourceOverrideTarget": intent.target}
        if intent.mode:
            patch_body["BootSourceOverrideMode"] = intent.mode
        outcome = await self._write(bmc, spec, where, patch_body)
        if not outcome.ok:
            return outcome, staged
        after, _ = await bmc.get_json(where, spec.credentials)
        got = odata.obj(after, "Boot")
        if not self._holds(got, intent):
            return Outcome(False, outcome.status, "BMC reports target "
                           f"{got.get('BootSourceOverrideTarget')}, enabled "
                           f"{got.get('BootSourceOverrideEnabled')}", outcome.messages), staged
        return outcome, staged

    @staticmethod
    def _holds(boot: dict[str, Any], intent: Intent, booted: bool = False) -> bool:
        if boot.get("BootSourceOverrideTarget") != intent.target:
            return False
        enabled = boot.get("BootSourceOverrideEnabled")
        if booted and intent.enabled == "Once":
            return enabled in ("Once", "Disabled")  # a one-time override is used up by the boot
        return enabled == intent.enabled

    async def clear(self, bay: str, bmc: Bmc, spec: SystemSpec, path: str,
                    body: dict[str, Any]) -> tuple[bool, str]:
        """Boot override off. (done, label)."""
        self.intents.pop(bay, None)
        label = "boot override off (local boot order)"
        boot = odata.obj(body, "Boot")
        if not any(k in boot for k in OVERRIDE_KEYS):
            return True, label + " (the system has no boot override)"
        where, _ = write_path(body, path, bmc)
        outcome = None
        for attempt in ({"BootSourceOverrideEnabled": "Disabled", "BootSourceOverrideTarget": "None"},
                        {"BootSourceOverrideEnabled": "Disabled"}):
            outcome = await self._write(bmc, spec, where, attempt)
            if outcome.ok:
                break
        assert outcome is not None
        if not outcome.ok:
            return False, f"{label}: {outcome.why}"
        after, _ = await bmc.get_json(where, spec.credentials)
        got = odata.obj(after, "Boot")
        enabled, target = got.get("BootSourceOverrideEnabled"), got.get("BootSourceOverrideTarget")
        # Disabled is off whatever the target says; so is a None target unless Continuous
        # (or Once) would still send the next boot somewhere.
        if enabled == "Disabled" or (target in ("None", None) and enabled in (None, "Disabled")):
            return True, label
        return False, f"{label}: BMC reports target {target}, enabled {enabled}"

    async def before_power_on(self, bay: str, bmc: Bmc, spec: SystemSpec, path: str,
                              body: dict[str, Any]) -> str:
        """Re-apply a one-time override; a note for the journal (empty: nothing to do)."""
        intent = self.intents.get(bay)
        if intent is None or intent.enabled != "Once":
            return ""
        outcome, _ = await self._apply(bmc, spec, path, body, intent)
        if not outcome.ok:
            raise BmcError(f"one-time boot override {intent.target} could not be re-applied "
                           f"before power-on: {outcome.why}")
        return f"one-time boot override {intent.target} re-applied before power-on (the BMC allows only Once)"

    async def after_power_on(self, bay: str, bmc: Bmc, spec: SystemSpec, path: str) -> str:
        """Verify staged settings took at this boot; a note for the journal."""
        intent = self.intents.get(bay)
        if intent is None:
            return ""
        notes = []
        intent.changed = False
        if intent.staged:
            body, _ = await bmc.get_json(path, spec.credentials)
            got = odata.obj(body, "Boot")
            if not self._holds(got, intent, booted=True):
                raise BmcError(f"staged boot override {intent.target} did not take at this boot: the "
                               f"system reports target {got.get('BootSourceOverrideTarget')}, "
                               f"enabled {got.get('BootSourceOverrideEnabled')}")
            intent.staged = False
            notes.append(f"staged boot override {intent.target} verified after the boot")
        return "; ".join(notes)

    def changed(self, bay: str) -> bool:
        intent = self.intents.get(bay)
        return intent is not None and intent.changed
