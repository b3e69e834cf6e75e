"""Every journal step an operation takes, named in one place.

A step has a key and words. The key is what a resumed job matches its journal by (a step
whose key is journaled done is not run again), so a key's text never changes once a
release has journaled it: a job started by an older bayops resumes by the same keys. The
keys here are the step names release 11 journaled (its steps table had no key column; a
row without a key is keyed by its name). The words are what people read in the journal;
reword them freely.

A new step gets a new constructor here; an existing one keeps its key.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepKey:
    key: str  # what resume matches; frozen once released
    words: str  # what the journal shows

    @classmethod
    def _same(cls, text: str) -> StepKey:
        """A step whose words are, for now, its key's text."""
        return cls(text, text)

    # -- failover, move, failback, evacuation (ops/placement.py, ops/failover.py) ---------
    @classmethod
    def choose_target(cls, bay: str | None) -> StepKey:
        return cls._same(f"choose target {bay}")

    @classmethod
    def power_off(cls, bay: str) -> StepKey:
        return cls._same(f"power off {bay}")

    @classmethod
    def clear_source(cls, bay: str) -> StepKey:
        return cls._same(f"remove profile from {bay}")

    @classmethod
    def apply_profile(cls, bay: str, attempt: int) -> StepKey:
        return cls._same(f"apply profile to {bay} (attempt {attempt})")

    @classmethod
    def power_on(cls, bay: str, attempt: int) -> StepKey:
        return cls._same(f"power on {bay} (attempt {attempt})")

    @classmethod
    def take_back(cls, bay: str, attempt: int) -> StepKey:
        return cls._same(f"remove profile from {bay} (attempt {attempt})")

    @classmethod
    def return_to_pool(cls, bay: str) -> StepKey:
        return cls._same(f"return {bay} to the spare pool")

    @classmethod
    def drain(cls, enclosure: str, restore: bool) -> StepKey:
        return cls._same(f"{'hold the drain of' if restore else 'drain'} {enclosure}")

    @classmethod
    def undrain(cls, enclosure: str) -> StepKey:
        return cls._same(f"undrain {enclosure}")

    # -- domains: maintenance, edits, enclosures, firmware, backups ------------------------
    @classmethod
    def diff_against_baseline(cls, domain: str) -> StepKey:
        return cls._same(f"diff {domain} against the baseline")

    @classmethod
    def apply_to(cls, domain: str) -> StepKey:
        return cls._same(f"apply to {domain}")

    @classmethod
    def revert(cls, domain: str) -> StepKey:
        return cls._same(f"revert {domain}")

    @classmethod
    def revert_to_baseline(cls, domain: str) -> StepKey:
        return cls._same(f"revert {domain} to the baseline")

    @classmethod
    def set_baseline(cls) -> StepKey:
        return cls._same("set the new baseline and end maintenance")

    @classmethod
    def make_manager_baseline(cls, domain: str, group: str) -> StepKey:
        return cls._same(f"make {domain} the baseline of group {group} on the manager")

    @classmethod
    def end_maintenance(cls) -> StepKey:
        return cls._same("end maintenance")

    @classmethod
    def discover(cls, enclosure: str) -> StepKey:
        return cls._same(f"discover {enclosure}")

    @classmethod
    def apply_baseline(cls, domain: str) -> StepKey:
        return cls._same(f"apply group baseline to {domain}")

    @classmethod
    def stage_firmware(cls, version: str, enclosure: str, number: int, total: int,
                       domain: str = "") -> StepKey:
        """``domain``: named in a job that stages several domains (complete, cancel)."""
        where = f"{enclosure} of {domain}" if domain else enclosure
        return cls._same(f"stage {version} on {where} ({number}/{total})")

    @classmethod
    def record_firmware(cls, domain: str, version: str) -> StepKey:
        return cls._same(f"record {domain} as running {version}")

    @classmethod
    def back_up(cls, domain: str) -> StepKey:
        return cls._same(f"back up {domain}")

    @classmethod
    def restore_backup(cls, backup: int, domain: str) -> StepKey:
        return cls._same(f"restore backup {backup} to {domain}")

    # -- the event archive (ops/archive.py) -------------------------------------------------
    @classmethod
    def write_archive(cls, name: str) -> StepKey:
        return cls._same(f"write {name}")

    @classmethod
    def record_archive(cls) -> StepKey:
        return cls._same("record the archive and delete what it holds")

    @classmethod
    def prune_sim_events(cls) -> StepKey:
        return cls._same("simulator: prune consumed hardware events")

    # -- a store-only job (runner.execute, atomic): one step, never resumed ----------------
    @classmethod
    def whole_change(cls, summary: str) -> StepKey:
        return cls._same(summary)
