"""Domain maintenance, domain edits, enclosure add, policies and profile lifecycle.

A mixin of :class:`tui.core.api.Core`: these methods use its store, driver, roles and
event helpers.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tui.core import policy as policy_rules
from tui.core.config import ENCLOSURE_MODELS, NAME_RE
from tui.model.errors import BadInput, OperationFailed, Refused
from tui.core.fleet import new_profile, simulated_servers
from tui.core.jobs import JobContext, StepFailed
from tui.model.entities import POLICY_MODES, DomainConfig, Job, Maintenance, Policy
from tui.core.pools import KINDS, Allocator

if TYPE_CHECKING:
    from tui.core.api import Confirm
    from tui.core.api import Core as _Base
else:
    _Base = object

DOMAIN_KEYS = "network.NAME VLAN|-, fabric.NAME present|-, firmware VERSION, user.NAME ROLE|-"


class MaintenanceOps(_Base):
    # -- maintenance lock --------------------------------------------------------------------
    def _held_maintenance(self, domain: str, force: bool, edit: bool = False) -> Maintenance:
        """The lock on ``domain`` if this operator may act on it.

        The owner may; an admin with --force may (audited). Once the lease has expired
        nobody edits under it until it is renewed, and any group-admin of the group may
        complete or cancel it (audited as a takeover).
        """
        group = self._domain_group(domain)
        held = self.store.maintenance(domain)
        if not held:
            raise Refused(f"domain {domain} is not in maintenance")
        m = held[0]
        expired = m.expired(time.time())
        if edit and expired:
            raise Refused(f"the maintenance lease on {domain} expired at "
                          f"{time.strftime('%H:%M', time.localtime(m.expires))}: renew it "
                          f"(bayops maintenance renew {domain}), or complete or cancel it")
        if m.owner == self.operator:
            self._require(group, "maintenance")
        elif expired and not edit:
            self._require(group, "maintenance")
        elif force:
            self._require(group, "force")
        else:
            raise Refused(f"domain {domain} is in maintenance by {m.owner}, not {self.operator}; "
                          "an admin can act on it with --force (audited)")
        return m

    def _domain_free(self, domain: str) -> None:
        holder = self.store.lock_holder(f"domain:{domain}")
        if holder is not None:
            raise Refused(f"domain {domain} is held by job {holder}; wait for it")

    def check_maintenance_start(self, domain: str) -> str:
        """The group of ``domain`` if this operator may lock it now; Refused otherwise."""
        group = self._domain_group(domain)
        self._require(group, "maintenance")
        now = time.time()
        for held in self.store.maintenance():
            if held.group == group:
                state = " (lease expired)" if held.expired(now) else ""
                raise Refused(f"group {group} already has domain {held.domain} in maintenance "
                              f"by {held.owner}{state}; it must be completed or cancelled first")
        self._domain_free(domain)
        busy = [b for b in self.store.bays(domain=domain) if b.job_id is not None]
        if busy:
            raise Refused(f"domain {domain} has running jobs (bay {busy[0].id}: job "
                          f"{busy[0].job_id}); wait for them")
        return group

    def start_maintenance(self, domain: str, reason: str, hours: float | None = None,
                          confirm: Confirm = None) -> Maintenance:
        group = self.check_maintenance_start(domain)
        if not reason.strip():
            raise BadInput("--reason must say why the domain goes into maintenance")
        hours = self.config.lease_hours if hours is None else hours
        if not 0 < hours <= 24 * 14:
            raise BadInput(f"lease of {hours} hours is out of range (0..336)")
        if confirm:
            confirm(f"start maintenance of {domain} for {hours:g} h: {reason.strip()}")
        now = time.time()
        m = Maintenance(domain, group, self.operator, reason.strip(), now, now + hours * 3600)
        with self.store.write():
            self.check_maintenance_start(domain)  # again, under the lock
            with self._journaled("maintenance-start", f"start maintenance of {domain}",
                                 {"group": group, "domain": domain}) as job_id:
                self.store.start_maintenance(m)
                self._event("warning", f"domain:{domain}", "maintenance.started",
                            f"{domain} in maintenance by {self.operator} until "
                            f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(m.expires))}: "
                            f"{m.reason}", job_id)
        return m

    def set_domain(self, domain: str, key: str, value: str, force: bool = False,
                   confirm: Confirm = None) -> DomainConfig:
        """Edit one setting of a domain in maintenance: network.NAME, fabric.NAME,
        firmware, user.NAME; a value of '-' removes it."""
        config, _ = self.domain_config(domain)
        data = config.to_dict()
        kind, _, name = key.partition(".")
        if kind in ("network", "fabric", "user") and not NAME_RE.match(name or ""):
            raise BadInput(f"key {key!r}: {kind}.NAME needs a valid name ({DOMAIN_KEYS})")
        if kind == "network":
            if value == "-":
                if name not in data["networks"]:
                    raise BadInput(f"domain {domain} has no network {name!r}")
                del data["networks"][name]
            else:
                if not value.isdigit() or not 1 <= int(value) <= 4094:
                    raise BadInput(f"VLAN id must be 1..4094, got {value!r}")
                data["networks"][name] = int(value)
        elif kind == "fabric":
            if value == "-":
                if name not in data["fabrics"]:
                    raise BadInput(f"domain {domain} has no fabric {name!r}")
                data["fabrics"].remove(name)
            elif value == "present":
                data["fabrics"] = sorted(set(data["fabrics"]) | {name})
            else:
                raise BadInput(f"fabric value must be 'present' or '-', got {value!r}")
        elif key == "firmware":
            if not value or value == "-" or len(value) > 32:
                raise BadInput("firmware needs a version, e.g. 4.62")
            data["firmware"] = value
        elif kind == "user":
            if value == "-":
                if name not in data["users"]:
                    raise BadInput(f"domain {domain} has no local user {name!r}")
                del data["users"][name]
            elif value in ("admin", "operator", "user", "network", "storage", "domain"):
                data["users"][name] = value
            else:
                raise BadInput(f"local user role must be admin, domain, network, storage, "
                               f"operator or user, got {value!r}")
        else:
            raise BadInput(f"unknown key {key!r}; keys: {DOMAIN_KEYS}")
        new = DomainConfig.from_dict(data)
        m = self._held_maintenance(domain, force, edit=True)
        self._domain_free(domain)
        summary = f"set {key} = {value} on {domain}"
        if confirm:
            confirm(summary)

        def run(ctx: JobContext, job_id: int) -> str:
            # The edit is made on the domain itself (VCEM enables it through the local
            # VCM during maintenance); complete then takes it to the rest of the group.
            detail = ctx.step(f"apply to {domain}", lambda: self._push_config(domain, new))
            self._event("info", f"domain:{domain}", "domain.changed",
                        f"{domain}: {key} = {value} (in maintenance)", job_id)
            return detail
        self._quick_job("domain-set", summary, {"group": m.group, "domain": domain},
                        [f"domain:{domain}"], run)
        return new

    def renew_maintenance(self, domain: str, hours: float | None = None, force: bool = False,
                          confirm: Confirm = None) -> Maintenance:
        """Extend the lease: the owner, or an admin with --force (audited)."""
        m = self._held_maintenance(domain, force)
        if m.owner != self.operator and not force:
            raise Refused(f"only {m.owner} renews this lease (an admin can with --force)")
        hours = self.config.lease_hours if hours is None else hours
        if not 0 < hours <= 24 * 14:
            raise BadInput(f"lease of {hours} hours is out of range (0..336)")
        expires = time.time() + hours * 3600
        until = time.strftime('%Y-%m-%d %H:%M', time.localtime(expires))
        if confirm:
            confirm(f"renew maintenance of {domain} until {until}")
        with self._journaled("maintenance-renew", f"renew maintenance of {domain} until {until}",
                             {"group": m.group, "domain": domain}) as job_id:
            self.store.renew_maintenance(domain, expires)
            self._event("warning" if m.owner != self.operator else "info", f"domain:{domain}",
                        "maintenance.renewed", f"{self.operator} renewed {m.owner}'s maintenance "
                        f"of {domain} until {until}", job_id)
        return self.store.maintenance(domain)[0]

    def plan_complete(self, domain: str, force: bool = False) -> tuple[list[str], list[str]]:
        """(diff lines against the baseline, other domains that will receive it)."""
        m = self._held_maintenance(domain, force)
        config, baseline = self.domain_config(domain)
        diff = config.diff(baseline)
        users = [p for p in self.store.profiles(m.group)
                 if any(n not in config.networks for n in p.networks)
                 or any(f not in config.fabrics for f in p.fabrics)]
        if users:
            p = users[0]
            gone = [n for n in p.networks if n not in config.networks] + \
                   [f for f in p.fabrics if f not in config.fabrics]
            raise Refused(f"{len(users)} profile(s) of group {m.group} still use what this change "
                          f"removes (e.g. {p.name} uses {', '.join(gone)}); move them first")
        others = [d for d, _, _ in self.store.domains(m.group) if d != domain]
        return diff, others

    def complete_maintenance(self, domain: str, force: bool = False) -> Job:
        with self.store.write():
            diff, others = self.plan_complete(domain, force)
            job_id = self._maintenance_job("complete", domain, {"others": others, "diff": diff},
                                           [domain] + others)
        return self._run("maintenance-complete", job_id)

    def _maintenance_job(self, action: str, domain: str, params: dict[str, Any],
                         domains: list[str]) -> int:
        """Create the complete/cancel job; acting on another's lock is audited."""
        m = self.store.maintenance(domain)[0]
        job_id = self.store.create_job(
            f"maintenance-{action}", self.operator, f"{action} maintenance of {domain}",
            {"group": m.group, "domain": domain, "owner": m.owner, **params},
            [f"domain:{d}" for d in domains])
        if m.owner != self.operator:
            how = "after its lease expired" if m.expired(time.time()) else "with --force"
            self._event("warning", f"domain:{domain}", "maintenance.forced",
                        f"{self.operator} {action}s {m.owner}'s maintenance of {domain} {how}",
                        job_id)
        return job_id

    def _run_complete(self, ctx: JobContext, job: Job) -> str:
        p = job.params
        domain, group = p["domain"], p["group"]
        config, baseline = self.domain_config(domain)
        ctx.note(f"diff {domain} against the baseline", "; ".join(p["diff"]) or "no change")
        done = []
        try:
            for other in p["others"]:
                ctx.step(f"apply to {other}", lambda d=other: self._push_config(d, config))
                done.append(other)
        except StepFailed as exc:
            for other in done:  # put the group back to one configuration
                ctx.step(f"revert {other}", lambda d=other: self._push_config(d, baseline))
            raise OperationFailed(f"propagation stopped at {exc.name}: {exc.reason}; "
                                  f"{', '.join(done) or 'no domain'} reverted, "
                                  f"{domain} stays in maintenance") from None

        def finish() -> str:
            with self.store.write():
                self.store.set_baseline(group, config)
                self.store.end_maintenance(domain)
            return f"group {group} baseline is now the configuration of {domain}"
        ctx.step("set the new baseline and end maintenance", finish)
        self._event("info", f"domain:{domain}", "maintenance.completed",
                    f"{domain} maintenance completed: {len(p['diff'])} change(s) applied to "
                    f"{len(p['others'])} other domain(s) of {group}", job.id)
        return f"{len(p['diff'])} change(s) propagated to {len(p['others'])} domain(s)"

    def _push_config(self, domain: str, config: DomainConfig) -> str:
        detail = self.driver.apply_domain_config(domain, config)
        self.store.set_domain_config(domain, config)
        return detail

    def cancel_maintenance(self, domain: str, force: bool = False,
                           confirm: Confirm = None) -> Job:
        self._held_maintenance(domain, force)
        if confirm:
            confirm(f"cancel maintenance of {domain}: revert it to the group baseline")
        with self.store.write():
            self._held_maintenance(domain, force)
            job_id = self._maintenance_job("cancel", domain, {}, [domain])
        return self._run("maintenance-cancel", job_id)

    def _run_cancel(self, ctx: JobContext, job: Job) -> str:
        domain = job.params["domain"]
        config, baseline = self.domain_config(domain)
        diff = config.diff(baseline)
        try:
            ctx.step(f"revert {domain} to the baseline", lambda: self._push_config(domain, baseline))
        except StepFailed as exc:
            raise OperationFailed(f"could not revert {domain}: {exc.reason}; it stays in maintenance") from None
        ctx.step("end maintenance", lambda: (self.store.end_maintenance(domain), "lock released")[1])
        self._event("info", f"domain:{domain}", "maintenance.cancelled",
                    f"{domain} maintenance cancelled: {len(diff)} change(s) reverted", job.id)
        return f"{len(diff)} change(s) reverted"

    # -- enclosures ---------------------------------------------------------------------------
    def add_enclosure(self, group: str, enclosure: str, domain: str | None = None,
                      bays: int = 16, confirm: Confirm = None) -> Job:
        self._group(group)
        self._require(group, "enclosure")
        if not NAME_RE.match(enclosure):
            raise BadInput(f"{enclosure!r} is not a valid enclosure name")
        model = next((m for m, n in ENCLOSURE_MODELS.items() if n == bays), None)
        if model is None:
            raise BadInput(f"--bays must be 16 (c7000) or 8 (c3000), got {bays}")
        if self.store.enclosure_exists(enclosure):
            raise BadInput(f"enclosure {enclosure} already exists")
        domain = domain or f"{enclosure}-dom"
        if not NAME_RE.match(domain):
            raise BadInput(f"{domain!r} is not a valid domain name")
        existing = self.store.domain_group(domain)
        if existing is not None:
            if existing != group:
                raise BadInput(f"domain {domain} is in group {existing}, not {group}")
            if len(self.store.enclosures(domain)) >= 4:
                raise Refused(f"domain {domain} already has 4 enclosures (the VC limit)")
            if self.store.maintenance(domain):
                raise Refused(f"domain {domain} is in maintenance")
        if confirm:
            confirm(f"add enclosure {enclosure} ({model}, {bays} bays) to "
                    f"{'new ' if existing is None else ''}domain {domain} of group {group}")
        with self.store.write():
            # The domain receives the baseline as it is now; a maintenance in the group may
            # be about to change it, so wait for that to end.
            held = [m for m in self.store.maintenance() if m.group == group]
            if held:
                raise Refused(f"group {group} has domain {held[0].domain} in maintenance; add "
                              "the enclosure once it is completed or cancelled")
            if self.store.enclosure_exists(enclosure):
                raise BadInput(f"enclosure {enclosure} already exists")
            job_id = self.store.create_job(
                "enclosure-add", self.operator, f"add enclosure {enclosure} ({model}) to {domain}",
                {"group": group, "enclosure": enclosure, "domain": domain, "model": model,
                 "bays": bays, "new_domain": existing is None},
                [f"enclosure:{enclosure}", f"domain:{domain}"])
        return self._run("enclosure-add", job_id)

    def _run_enclosure_add(self, ctx: JobContext, job: Job) -> str:
        p = job.params
        group, domain, enclosure = p["group"], p["domain"], p["enclosure"]
        baseline, _ = self.store.group_row(group)
        ids = [f"{enclosure}/{n}" for n in range(1, p["bays"] + 1)]

        def discover() -> str:
            if self.driver.name == "sim":
                spec = self.config.group(group)
                from tui.core.config import EnclosureSpec

                servers = simulated_servers(spec or _default_spec(self, group),
                                            EnclosureSpec(enclosure, p["model"]),
                                            self.config.sim.seed, 10_000 + job.id * 100)
                self.driver.install({f"{enclosure}/{n}": (s, None) for n, s in servers.items()})
            found = self.driver.discover(ids)
            with self.store.write():
                if self.store.domain_group(domain) is None:
                    self.store.add_domain(domain, group, baseline)
                if not self.store.enclosure_exists(enclosure):
                    self.store.add_enclosure(enclosure, domain, p["model"], p["bays"],
                                             {n: found.get(f"{enclosure}/{n}")
                                              for n in range(1, p["bays"] + 1)})
            return f"{sum(1 for s in found.values() if s)} servers in {p['bays']} bays"
        ctx.step(f"discover {enclosure}", discover)
        try:
            ctx.step(f"apply group baseline to {domain}",
                     lambda: self._push_config(domain, baseline))
        except StepFailed as exc:
            raise OperationFailed(f"{enclosure} was added but {domain} did not take the "
                                  f"baseline ({exc.reason}); it shows as drifted") from None
        self._event("info", f"domain:{domain}", "enclosure.added",
                    f"enclosure {enclosure} ({p['model']}) added to {domain} in group {group}", job.id)
        return f"enclosure {enclosure} added to {domain}"

    # -- policy -----------------------------------------------------------------------------
    def set_policy(self, group: str, mode: str | None, window: str | None,
                   confirm: Confirm = None) -> Policy:
        _, current = self._group(group)
        self._require(group, "policy")
        mode = current.mode if mode is None else mode
        window = current.window if window is None else window
        if mode not in POLICY_MODES:
            raise BadInput(f"mode {mode!r} is not one of {', '.join(POLICY_MODES)}")
        if window:
            policy_rules.parse_window(window)
        new = Policy(mode, window)
        text = f"group {group} auto-failover: {mode}" + (f" during {window}" if window else "")
        if confirm:
            confirm(f"set {text}")
        with self._journaled("policy", text, {"group": group}) as job_id:
            self.store.set_policy(group, new)
            self._event("info", f"group:{group}", "policy.changed", text, job_id)
        return new

    # -- profiles -----------------------------------------------------------------------------
    def create_profile(self, name: str, group: str, networks: list[str] | None,
                       fabrics: list[str] | None, boot: str = "san", lun: int = 0,
                       confirm: Confirm = None) -> Any:
        baseline, _ = self._group(group)
        self._require(group, "profile")
        if not NAME_RE.match(name):
            raise BadInput(f"{name!r} is not a valid profile name")
        if self.store.profile(name) is not None:
            raise BadInput(f"profile {name} already exists")
        if boot not in ("san", "local"):
            raise BadInput(f"--boot must be san or local, got {boot!r}")
        networks = list(baseline.networks) if networks is None else networks
        fabrics = list(baseline.fabrics) if fabrics is None else fabrics
        for n in networks:
            if n not in baseline.networks:
                raise BadInput(f"group {group} has no network {n!r}")
        for f in fabrics:
            if f not in baseline.fabrics:
                raise BadInput(f"group {group} has no fabric {f!r}")
        if boot == "san" and not fabrics:
            raise BadInput("a boot-from-SAN profile needs at least one fabric")
        if not 0 <= lun <= 16383:
            raise BadInput(f"--lun must be 0..16383, got {lun}")
        if confirm:
            confirm(f"create profile {name} in {group}: networks {', '.join(networks) or '-'}, "
                    f"fabrics {', '.join(fabrics) or '-'}, boot {boot}")
        spec = self.config.group(group)
        with self._journaled("profile-create", f"create profile {name} in {group}",
                             {"group": group, "profile": name}) as job_id:
            alloc = Allocator(self.config.pools,
                              {k: self.store.used_addresses(k) for k in ("mac", "wwpn", "serial")})
            profile = new_profile(alloc, name, None, boot, lun, None, networks, fabrics,
                                  group_name=group,
                                  san_target=spec.san_target if spec else "50:00:14:38:00:00:00:01")
            self.store.add_profile(profile)
            self._event("info", f"profile:{name}", "profile.created",
                        f"profile {name} created in {group} (unassigned): serial {profile.serial}, "
                        f"{len(profile.connections)} connection(s)", job_id)
        return profile

    def delete_profile(self, name: str, confirm: Confirm = None) -> None:
        profile = self._profile(name)
        self._require(profile.group, "profile")
        if profile.bay is not None:
            raise Refused(f"profile {name} is applied to {profile.bay}; move it off first")
        if profile.job_id is not None:
            raise Refused(f"profile {name} is held by job {profile.job_id}")
        if confirm:
            confirm(f"delete profile {name}; its serial and addresses go back to the pools")
        with self._journaled("profile-delete", f"delete profile {name}",
                             {"group": profile.group, "profile": name},
                             [f"profile:{name}"]) as job_id:
            self.store.delete_profile(name)
            self._event("info", f"profile:{name}", "profile.deleted",
                        f"profile {name} deleted; serial {profile.serial} and "
                        f"{len(profile.connections)} address(es) back in the pools", job_id)

    # -- address pools --------------------------------------------------------------------------
    def pools(self) -> dict[str, dict[str, Any]]:
        """Per kind: the range and how many addresses are free, in use, excluded."""
        spec = self.config.pools
        out = {}
        for kind in KINDS:
            alloc = Allocator(spec, {kind: self.store.used_addresses(kind)})
            excluded = self.store.excluded_addresses(kind)
            pool = getattr(spec, kind)
            in_range = [a for a in alloc.used[kind] if alloc.in_range(kind, a)]
            out[kind] = {"start": alloc.format(kind, pool.start), "end": alloc.format(kind, pool.end),
                         "size": pool.end - pool.start + 1,
                         "in_use": len([a for a in in_range if a not in excluded]),
                         "excluded": sorted(excluded), "free": alloc.free_count(kind)}
        return out

    def exclude_address(self, kind: str, address: str, include: bool = False,
                        confirm: Confirm = None) -> str:
        """Take an address out of its pool (or give it back): it is never allocated."""
        self._require("*", "pools")
        if kind not in KINDS:
            raise BadInput(f"pool kind {kind!r} is not one of {', '.join(KINDS)}")
        alloc = Allocator(self.config.pools, {kind: set()})
        canonical = alloc.parse(kind, address)
        if not alloc.in_range(kind, canonical):
            raise BadInput(f"{canonical} is outside the {kind} pool")
        if confirm:
            confirm(f"{'include' if include else 'exclude'} {kind} {canonical}")
        excluded = self.store.excluded_addresses(kind)
        verb = "back in" if include else "excluded from"
        with self._journaled("pools", f"{kind} {canonical} {verb} the pool", {}) as job_id:
            if include:
                if canonical not in excluded:
                    raise Refused(f"{canonical} is not excluded")
                self.store.include_address(kind, canonical)
            else:
                if canonical in excluded:
                    raise Refused(f"{canonical} is already excluded")
                owner = self.store.address_owner(kind, canonical)
                if owner is not None:
                    raise Refused(f"{canonical} is in use by profile {owner}")
                self.store.exclude_address(kind, canonical)
            self._event("info", "pools", "pools.changed", f"{kind} {canonical} {verb} the pool",
                        job_id)
        return canonical

    # -- simulator faults -----------------------------------------------------------------------
    def sim_fault(self, bay_id: str, kind: str | None) -> str:
        """Inject (kind) or heal (None) a simulated fault; sim driver only."""
        if self.driver.name != "sim":
            raise Refused(f"fault injection needs the sim driver; this fleet uses {self.driver.name}")
        bay = self._bay(bay_id)
        self._require(bay.group, "sim")
        if bay.empty:
            raise Refused(f"bay {bay_id} is empty")
        if kind is None:
            self.driver.heal(bay_id)
            message = "healed"
        else:
            message = self.driver.inject(bay_id, kind)
        self.refresh([bay_id])  # the simulator is the hardware: show the fault now
        self._event("info", f"bay:{bay_id}", "sim.fault" if kind else "sim.heal",
                    f"simulator: {bay_id} {kind + ': ' + message if kind else 'healed'}")
        return message


def _default_spec(core: Any, group: str):
    """A GroupSpec for a group created after the config (models from its bays)."""
    from tui.core.config import GroupSpec

    models = sorted({b.model for b in core.store.bays(group=group) if b.model}) or \
        ["ProLiant BL460c Gen10"]
    baseline, policy = core.store.group_row(group)
    return GroupSpec(group, policy.mode, policy.window, baseline, (), tuple(models), 0, 0, 0,
                     group, "50:00:14:38:00:00:00:01")
