"""Power off, fence and power on through ComputerSystem.Reset.

A Reset POST is never retried: whether it took is settled by re-reading PowerState
until the wanted state or a deadline, so every outcome reported is a verified one. A
5xx to the POST (Dell's SYS518 while iDRAC reloads) is an unknown outcome, not a
refusal: the journal says it was not retried, and PowerState is re-read before deciding.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tui.drivers.redfish.bmc import Bmc
from tui.drivers.redfish.boot import Boot
from tui.drivers.redfish.config import SystemSpec
from tui.drivers.redfish.errors import (
    AuthRefused,
    BadBody,
    BmcError,
    HttpStatus,
    Unreachable,
    redfish_message,
)
from tui.drivers.redfish.fleet import Fleet, power_state
from tui.drivers.redfish.writes import follow_task

# A ForceOff that failed this recently is not worth repeating as a fence.
FENCE_MEMORY = 600.0


@dataclass(frozen=True)
class _PowerPhase:
    """How a reset POST went: accepted, or why its outcome is unknown."""

    reset_type: str
    status: str  # accepted, no-answer (outcome unknown: re-read), error
    why: str = ""
    messages: str = ""  # what a 202 task said


def _unverified(phase: _PowerPhase, state: str, deadline: float) -> BmcError:
    """Why a Reset did not reach its PowerState, by how the POST went."""
    if phase.status == "accepted":
        return BmcError(f"{phase.reset_type} accepted but PowerState still {state} after {deadline:g} s")
    if phase.status == "error":
        return BmcError(f"{phase.why}; PowerState is {state}")
    return BmcError(f"{phase.why} and PowerState is still {state} after {deadline:g} s")


class Power:
    def __init__(self, fleet: Fleet, verified: Callable[[str, str], None], boot: Boot) -> None:
        self._fleet = fleet
        self._boot = boot
        self._verified = verified  # (bay, "on"/"off"): a change of ours, seen through to the end
        self._force_off_failed: dict[str, float] = {}  # bay -> when its last ForceOff failed

    async def _reset_info(
        self, bmc: Bmc, spec: SystemSpec, path: str, body: dict[str, Any]
    ) -> tuple[str, list[str] | None]:
        actions = body.get("Actions")
        reset = actions.get("#ComputerSystem.Reset") if isinstance(actions, dict) else None
        if not isinstance(reset, dict) or not isinstance(reset.get("target"), str):
            raise BmcError("the BMC offers no ComputerSystem.Reset action for this system")
        target = bmc.same_origin_path(reset["target"], path)
        allowed = reset.get("ResetType@Redfish.AllowableValues")
        if allowed is None and isinstance(reset.get("@Redfish.ActionInfo"), str):
            try:
                info, _ = await bmc.get_json(
                    bmc.same_origin_path(reset["@Redfish.ActionInfo"], path), spec.credentials
                )
                for param in info.get("Parameters") or []:
                    if isinstance(param, dict) and param.get("Name") == "ResetType":
                        allowed = param.get("AllowableValues")
            except (HttpStatus, BadBody):
                allowed = None
        if not (isinstance(allowed, list) and all(isinstance(v, str) for v in allowed)):
            allowed = None  # not advertised: assume the standard set
        return target, allowed

    async def _post_reset(self, bmc: Bmc, spec: SystemSpec, target: str, reset_type: str) -> _PowerPhase:
        """POST a Reset once. Never retried: an unknown outcome is settled by re-reading PowerState."""
        try:
            resp, _ = await bmc.request(
                "POST", target, spec.credentials, json_body={"ResetType": reset_type}, retry=False
            )
        except Unreachable as exc:
            return _PowerPhase(reset_type, "no-answer", f"{reset_type} got no answer ({exc.text})")
        if resp.status_code == 202:
            cfg = self._fleet.cfg
            task = await follow_task(bmc, spec.credentials, resp, target, cfg.power_deadline,
                                     cfg.poll_interval)
            if not task.ok:
                said = f" ({task.words()})" if task.messages else ""
                return _PowerPhase(reset_type, "error", f"{reset_type} task failed: {task.why}{said}")
            return _PowerPhase(reset_type, "accepted", messages=task.words())
        if resp.status_code < 300:
            return _PowerPhase(reset_type, "accepted")
        msg = redfish_message(resp)
        detail = f"{resp.status_code}{': ' + msg if msg else ''}"
        if resp.status_code >= 500:
            # The BMC may have acted before failing (iDRAC's SYS518 while it reloads)
            return _PowerPhase(reset_type, "no-answer", f"BMC answered {detail} to {reset_type} "
                               "(not retried: a Reset is not idempotent; PowerState re-read)")
        raise HttpStatus(resp.status_code, f"BMC refused {reset_type} ({detail})")

    async def _wait_power(
        self, bmc: Bmc, spec: SystemSpec, path: str, want: str, deadline: float
    ) -> tuple[bool, str]:
        """Poll PowerState until ``want`` or the deadline. (reached, last state seen)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline
        last, answered, last_error = "unknown", False, None
        while True:
            try:
                body, _ = await bmc.get_json(path, spec.credentials)
                last = power_state(body)
                answered = True
                if last == want:
                    return True, last
            except Unreachable as exc:
                last_error = exc
            except AuthRefused:
                raise
            except (HttpStatus, BadBody) as exc:
                # a BMC busy with the reset may answer 5xx or half a resource: ask again
                answered, last = True, f"unreadable ({exc.text})"
            left = end - loop.time()
            if left <= 0:
                break
            await asyncio.sleep(min(self._fleet.cfg.poll_interval, left))
        if not answered and last_error is not None:
            raise Unreachable(f"stopped answering while waiting for PowerState {want} ({last_error.text})")
        return False, last

    async def _reset(
        self, bmc: Bmc, spec: SystemSpec, path: str, target: str, reset_type: str, want: str
    ) -> tuple[_PowerPhase, bool, str]:
        """POST one Reset and wait out the power deadline for ``want``, unless the BMC
        failed the POST. (how the POST went, reached, last state seen)."""
        phase = await self._post_reset(bmc, spec, target, reset_type)
        wait = 0.0 if phase.status == "error" else self._fleet.cfg.power_deadline
        reached, state = await self._wait_power(bmc, spec, path, want, wait)
        return phase, reached, state

    async def off(self, bay: str, graceful_deadline: float) -> str:
        """'graceful', 'forced' or 'already off'; BmcError if it stays on."""
        bmc, spec, path, body = await self._fleet.system(bay)
        state = power_state(body)
        if state == "Off":
            return "already off"
        target, allowed = await self._reset_info(bmc, spec, path, body)

        def offers(reset_type: str) -> bool:
            return allowed is None or reset_type in allowed

        if graceful_deadline > 0 and offers("GracefulShutdown"):
            try:
                phase = await self._post_reset(bmc, spec, target, "GracefulShutdown")
            except HttpStatus:
                phase = None  # refused: go straight to ForceOff
            if phase is not None and phase.status != "error":
                reached, state = await self._wait_power(bmc, spec, path, "Off", graceful_deadline)
                if reached:
                    self._verified(bay, "off")
                    return "graceful"
        if not offers("ForceOff"):
            raise BmcError(
                f"PowerState {state} and the BMC does not offer ForceOff (offers: {', '.join(allowed or [])})"
            )
        return await self._force_off(bay, bmc, spec, path, target)

    async def _force_off(self, bay: str, bmc: Bmc, spec: SystemSpec, path: str, target: str) -> str:
        phase, reached, state = await self._reset(bmc, spec, path, target, "ForceOff", "Off")
        if reached:
            self._verified(bay, "off")
            self._force_off_failed.pop(bay, None)
            return "forced"
        self._force_off_failed[bay] = time.monotonic()
        raise _unverified(phase, state, self._fleet.cfg.power_deadline)

    async def fence(self, bay: str) -> str:
        """A sentence for the journal once PowerState Off is verified; BmcError otherwise."""
        spec = self._fleet.spec(bay)
        try:
            bmc, spec, path, body = await self._fleet.system(bay)
        except Unreachable as exc:
            raise BmcError(
                f"cannot fence through Redfish: the BMC at {spec.url} does not answer ({exc.text}); "
                "the server may still run with this profile's identities, so power it off by hand "
                "(or pull it) before moving the profile"
            ) from None
        state = power_state(body)
        if state == "Off":
            return f"{bay}: fenced through Redfish at {spec.url}: the BMC reports PowerState Off"
        failed = self._force_off_failed.get(bay)
        if failed is not None and time.monotonic() - failed < FENCE_MEMORY:
            # Fencing through Redfish is the same ForceOff through the same BMC: repeating
            # it would only wait out the deadline again.
            raise BmcError(f"cannot fence through Redfish: ForceOff already failed moments ago and "
                           f"PowerState is {state}; Redfish has no path around the server's own "
                           "BMC, so power it off at the enclosure (or pull it) before moving the profile")
        target, allowed = await self._reset_info(bmc, spec, path, body)
        if allowed is not None and "ForceOff" not in allowed:
            raise BmcError(f"cannot fence: the BMC does not offer ForceOff (offers: {', '.join(allowed)})")
        await self._force_off(bay, bmc, spec, path, target)
        return f"{bay}: fenced through Redfish at {spec.url}: ForceOff, PowerState Off verified"

    async def on(self, bay: str) -> str:
        """Returns once PowerState On is verified, with a note for the journal; BmcError
        otherwise. A server already on whose boot settings changed is restarted."""
        bmc, spec, path, body = await self._fleet.system(bay)
        notes = [await self._boot.before_power_on(bay, bmc, spec, path, body)]
        if power_state(body) == "On":
            if not self._boot.changed(bay):
                return "; ".join(n for n in ["already on", *notes] if n)
            notes.append(await self._restart(bay, bmc, spec, path, body))
        else:
            target, allowed = await self._reset_info(bmc, spec, path, body)
            if allowed is None or "On" in allowed:
                reset_type = "On"
            elif "ForceOn" in allowed:
                reset_type = "ForceOn"
            else:
                raise BmcError(f"the BMC offers neither On nor ForceOn (offers: {', '.join(allowed)})")
            phase, reached, state = await self._reset(bmc, spec, path, target, reset_type, "On")
            if not reached:
                raise _unverified(phase, state, self._fleet.cfg.power_deadline)
            notes.append(f"task: {phase.messages}" if phase.messages else phase.why)
        self._verified(bay, "on")
        notes.append(await self._boot.after_power_on(bay, bmc, spec, path))
        return "; ".join(n for n in notes if n)

    async def _restart(self, bay: str, bmc: Bmc, spec: SystemSpec, path: str, body: dict[str, Any]) -> str:
        """An already-on server whose boot settings changed: ForceRestart, else ForceOff then On."""
        target, allowed = await self._reset_info(bmc, spec, path, body)
        deadline = self._fleet.cfg.power_deadline
        if allowed is None or "ForceRestart" in allowed:
            phase = await self._post_reset(bmc, spec, target, "ForceRestart")
            if phase.status == "error":
                raise BmcError(phase.why)
            reached, state = await self._wait_power(bmc, spec, path, "On", deadline)
            if not reached:
                raise _unverified(phase, state, deadline)
            return "was already on: restarted (ForceRestart) so the new boot settings take effect"
        await self._force_off(bay, bmc, spec, path, target)
        reset_type = "On" if "On" in allowed else "ForceOn"
        phase, reached, state = await self._reset(bmc, spec, path, target, reset_type, "On")
        if not reached:
            raise _unverified(phase, state, deadline)
        return f"was already on: ForceOff then {reset_type} so the new boot settings take effect"
