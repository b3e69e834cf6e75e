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
- ``@Redfish.Settings``: the settings object is used only when it carries the
  override properties (Lenovo's ``Pending`` holds only ``BootOrder``: the system is
  written instead), and it is used even when only it carries them (an iDRAC 10
  variant). A staged change is sent with ``@Redfish.SettingsApplyTime`` OnReset when
  the object advertises it (Dell queues it otherwise); a job the BMC answers with is
  followed to its end after the power-on, and its messages journaled.

Every override is read back after the power-on: a BMC that accepts it and drops it at
boot (reported of Supermicro boards) fails the power-on instead of leaving a spare
that booted its local disk.

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
from tui.drivers.redfish.errors import BadBody, BmcError, HttpStatus, one_line, redfish_message
from tui.drivers.redfish.fleet import Fleet
from tui.drivers.redfish.writes import Outcome, follow_monitor, patch

OVERRIDE_KEYS = ("BootSourceOverrideTarget", "BootSourceOverrideEnabled")


@dataclass
class Intent:
    """What a bay's boot override must be for its profile."""

    target: str
    enabled: str  # Continuous or Once
    mode: str | None
    staged: bool  # written to a settings object: takes effect at the next boot
    changed: bool = True  # not booted with these settings yet
    job: str | None = None  # the task/job monitor of a staged write, settled after the boot
    settings: str | None = None  # the settings object, when only it shows the override


@dataclass(frozen=True)
class Where:
    """Where the override is written and what is known of it there."""

    path: str
    boot: dict[str, Any]  # its Boot, with the system's AllowableValues
    staged: bool
    apply_time: str | None = None  # @Redfish.SettingsApplyTime to send with it
    note: str = ""  # why the system was written although it has a settings object


def _allowed(boot: dict[str, Any], key: str) -> list[str] | None:
    values = boot.get(f"{key}@Redfish.AllowableValues")
    return [str(v) for v in values] if isinstance(values, list) else None


def _carries(boot: dict[str, Any]) -> bool:
    return any(k in boot for k in OVERRIDE_KEYS)


def _apply_time(settings: dict[str, Any]) -> str | None:
    """OnReset when the settings object advertises apply times: without one a Dell BMC
    only queues the change and never applies it at the boot."""
    times = settings.get("SupportedApplyTimes")
    return "OnReset" if isinstance(times, list) and "OnReset" in times else None


async def locate(bmc: Bmc, spec: SystemSpec, path: str, body: dict[str, Any]) -> Where | None:
    """Where boot settings go: the settings object when it carries the override
    properties, else the system when it does; None when neither does."""
    system_boot = odata.obj(body, "Boot")
    settings = odata.obj(body, "@Redfish.Settings")
    target = odata.link(settings, "SettingsObject")
    note = ""
    if target:
        where = bmc.same_origin_path(target, path)
        try:
            staged_body, where = await bmc.get_json(where, spec.credentials)
        except (HttpStatus, BadBody):
            staged_body = {}
        staged_boot = odata.obj(staged_body, "Boot")
        if _carries(staged_boot):
            return Where(where, {**system_boot, **staged_boot}, True, _apply_time(settings))
        note = "the settings object carries no boot override, so the system itself is written"
    return Where(path, system_boot, False, note=note) if _carries(system_boot) else None


def _reported(boot: dict[str, Any]) -> str:
    return (f"target {boot.get('BootSourceOverrideTarget')}, "
            f"enabled {boot.get('BootSourceOverrideEnabled')}")


class Boot:
    def __init__(self, fleet: Fleet) -> None:
        self._fleet = fleet
        self.intents: dict[str, Intent] = {}

    async def _write(self, bmc: Bmc, spec: SystemSpec, where: Where,
                     patch_body: dict[str, Any]) -> Outcome:
        cfg = self._fleet.cfg
        body: dict[str, Any] = {"Boot": patch_body}
        if where.apply_time:
            body["@Redfish.SettingsApplyTime"] = {"ApplyTime": where.apply_time}
        # A staged write's job runs at the boot: it is followed after the power-on.
        return await patch(bmc, spec.credentials, where.path, body, cfg.power_deadline,
                           cfg.poll_interval, settle=not where.staged)

    async def set_san(self, bay: str, bmc: Bmc, spec: SystemSpec, path: str,
                      body: dict[str, Any]) -> tuple[bool, str]:
        """Override to the disk the SAN LUN appears as. (took or staged, label)."""
        self.intents.pop(bay, None)
        where = await locate(bmc, spec, path, body)
        if where is None:
            return False, ("boot override for boot-from-SAN (the system advertises no "
                           "BootSourceOverride properties, nor does any settings object)")
        boot = where.boot
        allowed = _allowed(boot, "BootSourceOverrideTarget")
        target = "RemoteDrive" if allowed and "RemoteDrive" in allowed else "Hdd"
        if allowed is not None and target not in allowed:
            return False, f"boot override to disk (BMC offers only {', '.join(allowed)})"
        enables = _allowed(boot, "BootSourceOverrideEnabled")
        enabled = "Continuous" if enables is None or "Continuous" in enables else "Once"
        if enables is not None and enabled not in enables:
            return False, f"boot override (BMC offers neither Continuous nor Once: {', '.join(enables)})"
        mode, mode_note = await self._mode(bmc, spec, path, body, boot)
        intent = Intent(target, enabled, mode, staged=where.staged)
        label = f"boot override {target} ({enabled.lower()}{', ' + mode if mode else ''}) for boot-from-SAN"
        outcome = await self._apply(bmc, spec, where, intent)
        if not outcome.ok:
            return False, f"{label}: {outcome.why}" + (f" ({outcome.words()})" if outcome.messages else "")
        if where.staged and not _carries(odata.obj(body, "Boot")):
            intent.settings = where.path
        if where.staged and not where.apply_time and not intent.job:
            intent.job = await dell_job(bmc, spec, path, body, where.path)
        self.intents[bay] = intent
        notes = [n for n in (where.note, mode_note) if n]
        if where.staged:
            notes.append("staged in the BMC's settings object, applies at next boot"
                         + (f" (apply time {where.apply_time})" if where.apply_time else "")
                         + " (verified after power-on)")
        if enabled == "Once":
            notes.append("the BMC allows only Once: re-applied before each power-on bayops performs")
        if outcome.monitor:
            notes.append(f"the BMC queued it as {outcome.monitor}, followed after the boot")
        elif intent.job:
            notes.append(f"configuration job {intent.job} created for it, followed after the boot")
        if outcome.messages:
            notes.append(f"task: {outcome.words()}")
        if outcome.attempts:
            notes.append("ETag: " + "; ".join(outcome.attempts))
        return True, label + "".join(f"; {n}" for n in notes)

    async def _mode(self, bmc: Bmc, spec: SystemSpec, path: str, body: dict[str, Any],
                    boot: dict[str, Any]) -> tuple[str | None, str]:
        """The mode to keep (the one the system reports: never flipped); a note when it
        comes from the BIOS attributes because the system has no BootSourceOverrideMode."""
        if "BootSourceOverrideMode" not in boot:
            return None, await bios_boot_mode(bmc, spec, path, body)
        modes = _allowed(boot, "BootSourceOverrideMode")
        current = boot.get("BootSourceOverrideMode")
        if isinstance(current, str) and current and (modes is None or current in modes):
            return current, ""
        return ("UEFI" if modes is None or "UEFI" in modes else modes[0] if modes else None), ""

    async def _apply(self, bmc: Bmc, spec: SystemSpec, where: Where, intent: Intent) -> Outcome:
        """Write ``intent`` and read it back."""
        patch_body: dict[str, Any] = {"BootSourceOverrideEnabled": intent.enabled,
                                      "BootSourceOverrideTarget": intent.target}
        if intent.mode:
            patch_body["BootSourceOverrideMode"] = intent.mode
        outcome = await self._write(bmc, spec, where, patch_body)
        if not outcome.ok:
            return outcome
        intent.job = outcome.monitor or intent.job  # a Once re-applied keeps the boot's job
        after, _ = await bmc.get_json(where.path, spec.credentials)
        got = odata.obj(after, "Boot")
        if not self._holds(got, intent):
            return Outcome(False, outcome.status, f"BMC reports {_reported(got)}", outcome.messages)
        return outcome

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
        where = await locate(bmc, spec, path, body)
        if where is None:
            return True, label + " (the system has no boot override)"
        outcome = None
        for attempt in ({"BootSourceOverrideEnabled": "Disabled", "BootSourceOverrideTarget": "None"},
                        {"BootSourceOverrideEnabled": "Disabled"}):
            outcome = await self._write(bmc, spec, where, attempt)
            if outcome.ok:
                break
        assert outcome is not None
        if not outcome.ok:
            return False, f"{label}: {outcome.why}"
        after, _ = await bmc.get_json(where.path, spec.credentials)
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
        where = await locate(bmc, spec, path, body)
        outcome = await self._apply(bmc, spec, where, intent) if where else \
            Outcome(False, 0, "the BMC no longer advertises a boot override")
        if not outcome.ok:
            raise BmcError(f"one-time boot override {intent.target} could not be re-applied "
                           f"before power-on: {outcome.why}")
        return f"one-time boot override {intent.target} re-applied before power-on (the BMC allows only Once)"

    async def after_power_on(self, bay: str, bmc: Bmc, spec: SystemSpec, path: str) -> str:
        """Verify, read after the boot, that the override is in force; a note for the
        journal, BmcError (with what the BMC reports) when it is not."""
        intent = self.intents.get(bay)
        if intent is None:
            return ""
        notes = []
        if intent.job:
            notes.append(await self._settle_job(bmc, spec, intent))
        body, _ = await bmc.get_json(path, spec.credentials)
        got, seen = odata.obj(body, "Boot"), "the system"
        if intent.settings:  # only the settings object shows the override
            got = odata.obj((await bmc.get_json(intent.settings, spec.credentials))[0], "Boot")
            seen = "its settings object (the system shows no override)"
            refused = settings_refusals(body)
            if refused:
                raise BmcError(f"staged boot override {intent.target} was not applied at this boot: "
                               f"the BMC reports {refused}")
        what = "staged boot override" if intent.staged else "boot override"
        if not self._holds(got, intent, booted=True):
            raise BmcError(f"{what} {intent.target} not in force after the power-on (the server may "
                           f"have booted its local disk): {seen} reports {_reported(got)}")
        notes.append(f"{what} {intent.target} verified after the boot (read from {seen})")
        intent.changed = intent.staged = False
        return "; ".join(notes)

    async def _settle_job(self, bmc: Bmc, spec: SystemSpec, intent: Intent) -> str:
        """Follow the staged write's job, which ran at this boot, to its end."""
        job, intent.job = intent.job, None
        assert job is not None
        cfg = self._fleet.cfg
        outcome = await follow_monitor(bmc, spec.credentials, job, cfg.power_deadline, cfg.poll_interval)
        said = f": {outcome.words()}" if outcome.messages else ""
        if not outcome.ok:
            raise BmcError(f"the BMC's job {job} for the staged boot override failed: {outcome.why}{said}")
        return f"the BMC's job {job} for the boot override completed{said}"

    def changed(self, bay: str) -> bool:
        intent = self.intents.get(bay)
        return intent is not None and intent.changed


def settings_refusals(body: dict[str, Any]) -> str:
    """What ``@Redfish.Settings.Messages`` says went wrong when settings were applied."""
    messages = odata.obj(body, "@Redfish.Settings").get("Messages")
    bad = [str(m.get("Message")) for m in messages if isinstance(m, dict)
           and m.get("Severity") in ("Warning", "Critical") and isinstance(m.get("Message"), str)] \
        if isinstance(messages, list) else []
    return "; ".join(one_line(m, 160) for m in bad[:3])


async def dell_job(bmc: Bmc, spec: SystemSpec, path: str, body: dict[str, Any],
                   settings: str) -> str | None:
    """Dell applies staged settings only through a configuration job: create one for
    ``settings`` when the system's manager has a Dell job queue. Its monitor, or None."""
    managers = odata.obj(body, "Links").get("ManagedBy")
    first = managers[0] if isinstance(managers, list) and managers else None
    manager = odata.link({"m": first}, "m")
    if not manager:
        return None
    try:
        found, final = await bmc.get_json(bmc.same_origin_path(manager, path), spec.credentials)
        dell = odata.obj(odata.obj(odata.obj(found, "Links"), "Oem"), "Dell")
        jobs = odata.link(dell, "Jobs") or odata.link(odata.obj(odata.obj(found, "Oem"), "Dell"), "Jobs")
        if not jobs:
            return None
        resp, final = await bmc.request("POST", bmc.same_origin_path(jobs, final), spec.credentials,
                                        json_body={"TargetSettingsURI": settings}, retry=False)
    except (HttpStatus, BadBody):
        return None
    location = resp.headers.get("location")
    if resp.status_code >= 300 or not location:
        raise BmcError(f"the BMC refused a configuration job for {settings} ({resp.status_code}"
                       f"{': ' + redfish_message(resp) if redfish_message(resp) else ''})")
    return bmc.same_origin_path(location, final)


BIOS_MODES = {"uefi": "UEFI", "bios": "Legacy", "legacybios": "Legacy", "legacy": "Legacy"}


async def bios_boot_mode(bmc: Bmc, spec: SystemSpec, path: str, body: dict[str, Any]) -> str:
    """Where a system has no BootSourceOverrideMode, the BIOS attribute ``BootMode``
    (Dell: Uefi/Bios; HPE: Uefi/LegacyBios) says how it boots: a note, never written."""
    bios = odata.link(body, "Bios")
    if not bios:
        return ""
    try:
        found, _ = await bmc.get_json(bmc.same_origin_path(bios, path), spec.credentials)
    except (HttpStatus, BadBody):
        return ""
    value = odata.obj(found, "Attributes").get("BootMode")
    mode = BIOS_MODES.get(value.lower()) if isinstance(value, str) else None
    return f"boot mode {mode} (BIOS attribute BootMode {one_line(str(value), 20)}; kept)" if mode else ""
