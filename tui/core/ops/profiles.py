"""Server profiles: created unassigned from the address pools, deleted when unassigned."""
from __future__ import annotations

from tui.core.context import OpContext
from tui.core.fleet import new_profile
from tui.core.jobs import JobContext
from tui.core.pools import Allocator
from tui.core.runner import JobKind
from tui.core.validate import check_name
from tui.model.errors import BadInput, Refused
from tui.model.params import ProfileCreateParams, ProfileDeleteParams
from tui.model.plan import Plan
from tui.model.text import quoted

DEFAULT_SAN_TARGET = "50:00:14:38:00:00:00:01"
MAX_LUN = 16383


def plan_create(ctx: OpContext, name: str, group: str, networks: list[str] | None,
                fabrics: list[str] | None, boot: str = "san", lun: int = 0) -> Plan:
    baseline = ctx.group(group).baseline
    ctx.require(group, "profile")
    check_name(name, "profile")
    if ctx.store.profile(name) is not None:
        raise BadInput(f"profile {name} already exists")
    if boot not in ("san", "local"):
        raise BadInput(f"--boot must be san or local, got {quoted(boot)}")
    networks = list(baseline.networks) if networks is None else networks
    fabrics = list(baseline.fabrics) if fabrics is None else fabrics
    for n in networks:
        if n not in baseline.networks:
            raise BadInput(f"group {group} has no network {quoted(n)}")
    for f in fabrics:
        if f not in baseline.fabrics:
            raise BadInput(f"group {group} has no fabric {quoted(f)}")
    if boot == "san" and not fabrics:
        raise BadInput("a boot-from-SAN profile needs at least one fabric")
    if not 0 <= lun <= MAX_LUN:
        raise BadInput(f"--lun must be 0..{MAX_LUN}, got {lun}")
    return Plan("profile-create", f"Create profile {name}",
                f"create profile {name} in {group}: networks {', '.join(networks) or '-'}, "
                f"fabrics {', '.join(fabrics) or '-'}, boot {boot}",
                (f"allocate a serial, {len(networks)} MAC(s) and {len(fabrics)} WWPN(s) "
                 "from the pools", f"store profile {name} unassigned"),
                ProfileCreateParams(group=group, profile=name, networks=tuple(networks),
                                    fabrics=tuple(fabrics), boot=boot, lun=lun),
                target=name, profile=name, confirm_label="Create")


def run_create(ctx: OpContext, job: JobContext, p: ProfileCreateParams) -> str:
    spec = ctx.config.group(p.group)
    alloc = Allocator(ctx.config.pools,
                      {k: ctx.store.used_addresses(k) for k in ("mac", "wwpn", "serial")})
    profile = new_profile(alloc, p, spec.san_target if spec else DEFAULT_SAN_TARGET)
    ctx.store.add_profile(profile)
    ctx.event("info", f"profile:{p.profile}", "profile.created",
              f"profile {p.profile} created in {p.group} (unassigned): serial {profile.serial}, "
              f"{len(profile.connections)} connection(s)", job.job_id, profile=p.profile)
    return f"profile {p.profile} created: serial {profile.serial}"


def plan_delete(ctx: OpContext, name: str) -> Plan:
    profile = ctx.profile(name)
    ctx.require(profile.group, "profile")
    if profile.bay is not None:
        raise Refused(f"profile {name} is applied to {profile.bay}; move it off first",
                      code="profile-applied")
    ctx.not_held(f"profile {name}", profile.job_id)
    return Plan("profile-delete", f"Delete profile {name}",
                f"delete profile {name}; its serial and addresses go back to the pools",
                (f"delete profile {name}", f"serial {profile.serial} and "
                 f"{len(profile.connections)} address(es) back in the pools"),
                ProfileDeleteParams(group=profile.group, profile=name),
                locks=(f"profile:{name}",), target=name, profile=name, danger=True,
                confirm_label="Delete")


def run_delete(ctx: OpContext, job: JobContext, p: ProfileDeleteParams) -> str:
    profile = ctx.profile(p.profile)
    ctx.store.delete_profile(p.profile)
    ctx.event("info", f"profile:{p.profile}", "profile.deleted",
              f"profile {p.profile} deleted; serial {profile.serial} and "
              f"{len(profile.connections)} address(es) back in the pools", job.job_id,
              profile=p.profile)
    return f"profile {p.profile} deleted"


# The job kinds this module runs (collected by tui.core.ops.registry).
JOB_KINDS = (
    JobKind(ProfileCreateParams, run_create, resumable=False, atomic=True),
    JobKind(ProfileDeleteParams, run_delete, resumable=False, atomic=True),
)
