"""Evacuation and restore of an enclosure, for planned work on it (OA or interconnect
firmware, a midplane swap).

Evacuate: one plan for every profile on the enclosure, each target chosen as a failover
would (``placement.rank_spares``) or named in a map; conflicts and shortfalls are listed
before anything starts. The job drains the enclosure first (no failover target, no spare
use; the schema refuses a profile onto it except for the draining job), then moves the
profiles, a bounded number at once, each a journaled relocation a crash resumes. A
failed profile stops the rest (``--on-failure stop``) or not (``continue``); the
enclosure stays drained either way. Every profile remembers its home (``profiles.home``).

Restore: the drain passes to the restore job, the profiles go back to their homes the
same way, the bays they leave go back into the spare pool, and the enclosure is undrained.
A spare of the enclosure that a failed-over profile had borrowed, emptied by the
evacuation, is named in the job's ``pool`` (carried from drain job to drain job) and goes
back into the pool after the undrain: the schema refuses a spare on a drained enclosure.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from tui.core.context import OpContext
from tui.core.jobs import JobContext
from tui.core.ops.failback import give_back, go_home, returns_to_pool, why_not_home
from tui.core.ops.move import Move, check_target, relocate
from tui.core.ops.placement import rank_spares
from tui.core.runner import JobKind
from tui.core.steps import StepKey
from tui.model.entities import Bay, Profile
from tui.model.errors import BadInput, OperationFailed, Refused
from tui.model.params import EvacuateParams, RestoreParams
from tui.model.plan import LEFT, Plan
from tui.model.text import quoted


def _enclosure(ctx: OpContext, name: str) -> list[Bay]:
    if not ctx.store.enclosure_exists(name):
        raise BadInput(f"no enclosure named {quoted(name)}", code="unknown-enclosure")
    return ctx.store.bays(enclosure=name)


def _locks(enclosure: str, moves: list[Move]) -> tuple[str, ...]:
    return tuple([f"enclosure:{enclosure}"] + [f"profile:{m[0]}" for m in moves]
                 + [f"bay:{b}" for m in moves for b in (m[1], m[2]) if b])


def _freed(ctx: OpContext, enclosure: str) -> list[str]:
    """The enclosure's bays that were spares borrowed by failed-over profiles the
    evacuation moved away, as the job now draining it recorded them (empty if none)."""
    job_id = ctx.store.drained_job(enclosure)
    job = ctx.store.job(job_id) if job_id is not None else None
    if job is None or not isinstance(job.params, EvacuateParams):
        return []
    return [b for b in job.params.pool if ctx.bay(b).enclosure == enclosure]


def _shortfalls(problems: list[str], force: bool, what: str, hint: str) -> list[str]:
    """The plan's first steps: each profile left where it is, and why. Without ``force``
    any such profile refuses the plan (the CLI then shows the forced plan)."""
    if problems and not force:
        raise Refused(f"{what}: {len(problems)} profile(s) without a target, nothing started",
                      code="shortfall", hint=hint)
    return [LEFT + p for p in problems]


def _left_warning(left: list[str]) -> list[str]:
    return [f"{len(left)} profile(s) stay where they are (step(s) 1-{len(left)})"] if left else []


def plan(ctx: OpContext, enclosure: str, to: str | None = None,
         mapping: dict[str, str] | None = None, stop_on_failure: bool = True,
         force: bool = False) -> Plan:
    """``to``: take spares from this group's pool (default: the enclosure's group);
    ``mapping``: profile (or its bay) -> the bay it goes to."""
    bays = _enclosure(ctx, enclosure)
    group = bays[0].group
    ctx.require(group, "move")
    pool_group = ctx.group(to).name if to else group
    if pool_group != group:
        ctx.require(pool_group, "move")
    mapping = dict(mapping or {})
    here = {b.id for b in bays}
    spares = ctx.store.bays(group=pool_group, spares_only=True)
    used = _reserved(ctx, mapping)  # the map's targets first: no automatic choice takes one
    moves: list[Move] = []
    problems: list[str] = []
    reasons: list[str] = []
    freed = _freed(ctx, enclosure)
    for source in (b for b in bays if b.profile):
        name = source.profile
        assert name is not None
        profile = ctx.profile(name)
        ctx.not_held(f"profile {name}", profile.job_id)
        ctx.not_held(f"bay {source.id}", source.job_id)
        ctx.not_in_maintenance(source)
        wanted = mapping.pop(name, None) or mapping.pop(source.id, None)
        if wanted is not None:
            target = ctx.bay(wanted)
            why = "it is on the enclosure being drained" if target.id in here else None
            if why is None:
                try:
                    check_target(ctx, profile, target)
                except (Refused, BadInput) as exc:
                    why = str(exc)
            if why is not None:
                problems.append(f"{name} -> {target.id}: {why}")
                continue
            chosen, reason = target, "named in the map"
        elif profile.boot_mode != "san":
            problems.append(f"{name} on {source.id} boots from local disk: no failover "
                            "target (name one in the map)")
            continue
        else:
            ranked = [c for c in rank_spares(source, spares, used | here)
                      if _fits(ctx, profile, c[0])]
            if not ranked:
                problems.append(f"{name} on {source.id}: no usable spare of model "
                                f"{source.model} left in group {pool_group}")
                continue
            chosen, reason = ranked[0]
        used.add(chosen.id)  # (a map target is in it already)
        moves.append((name, source.id, chosen.id))
        reasons.append(f"move {name}: {source.id} -> {chosen.id} ({reason})")
        if profile.borrowed == source.id:
            freed.append(source.id)
            reasons.append(f"{source.id} was the spare {name} took: back into the pool on "
                           "restore")
    if mapping:
        raise BadInput("the map names what is not on " + enclosure + ": "
                       + ", ".join(quoted(k) for k in sorted(mapping)), code="bad-map")
    drained = ctx.store.drained_job(enclosure) is not None
    if not moves and problems:  # draining would leave every profile running there
        raise Refused(f"evacuation of {enclosure}: none of its {len(problems)} profile(s) can "
                      "move: " + "; ".join(problems), code="nothing-movable",
                      hint="add spares of their models, name targets with --map, or move "
                           "them by hand (`bayops move PROFILE --to BAY`)")
    if not moves and not problems and drained:
        raise Refused(f"enclosure {enclosure} is drained and empty of profiles already",
                      code="nothing-to-do")
    left = _shortfalls(problems, force, f"evacuation of {enclosure}",
                       "add spares, name targets with --map, or --force to leave those "
                       "profiles where they are")
    parallel = ctx.config.evacuate_parallel
    steps = [*left, f"drain {enclosure}: no failover target, no spare use, until "
                    "`bayops restore`"]
    steps += reasons
    steps.append(f"{enclosure} stays drained (`bayops restore {enclosure}` brings them back)")
    return Plan("evacuate", f"Evacuate {enclosure}",
                f"evacuate {enclosure}: {len(moves)} profile(s), {parallel} at a time",
                tuple(steps),
                EvacuateParams(group=group, enclosure=enclosure, moves=tuple(moves),
                               parallel=parallel, stop_on_failure=stop_on_failure,
                               pool=tuple(freed)),
                locks=_locks(enclosure, moves), source=enclosure, reason="planned work on the enclosure",
                warnings=tuple(_left_warning(left)), danger=True, confirm_label="Evacuate",
                shortfalls=tuple(problems))


def _reserved(ctx: OpContext, mapping: dict[str, str]) -> set[str]:
    """The bays the map names, each once (two profiles to one bay is bad input)."""
    seen: dict[str, str] = {}
    for what, target in mapping.items():
        bay = ctx.bay(target).id
        if bay in seen:
            raise BadInput(f"the map sends both {quoted(seen[bay])} and {quoted(what)} to "
                           f"{bay}", code="bad-map")
        seen[bay] = what
    return set(seen)


def _fits(ctx: OpContext, profile: Profile, bay: Bay) -> bool:
    try:
        check_target(ctx, profile, bay)
    except (Refused, BadInput):
        return False
    return True


def plan_restore(ctx: OpContext, enclosure: str, stop_on_failure: bool = True,
                 force: bool = False) -> Plan:
    bays = _enclosure(ctx, enclosure)
    group = bays[0].group
    ctx.require(group, "move")
    if ctx.store.drained_job(enclosure) is None:
        raise Refused(f"enclosure {enclosure} is not drained", code="not-drained")
    moves: list[Move] = []
    pool: list[str] = []
    problems: list[str] = []
    kept: list[str] = []
    left_out: list[str] = []
    for name, home_id in sorted(ctx.store.homes(enclosure).items()):
        profile, home = ctx.profile(name), ctx.bay(home_id)
        ctx.not_held(f"profile {name}", profile.job_id)
        if profile.bay == home.id:
            continue
        source = ctx.bay(profile.bay) if profile.bay else None
        why = why_not_home(profile, home, drained_ok=True)
        if why is None and source is not None and (source.job_id or source.maintenance):
            why = f"{source.id} is held or in maintenance"
        if why is not None:
            problems.append(f"{name}: {why}")
            left_out.append(name)
            continue
        moves.append((name, source.id if source else None, home.id))
        why_kept = returns_to_pool(profile, source)
        if why_kept is None and source is not None:
            pool.append(source.id)
        elif source is not None:
            kept.append(f"{source.id} does not return to the spare pool: {why_kept}")
    left = _shortfalls(problems, force, f"restore of {enclosure}",
                       "--force to bring the others home and leave those where they are")
    freed = [b for b in _freed(ctx, enclosure) if b not in pool]
    parallel = ctx.config.evacuate_parallel
    steps = [*left, f"hold the drain of {enclosure} for this job"]
    steps += [f"move {n}: {s or 'unassigned'} -> {h} (home)" for n, s, h in moves]
    steps += [f"{b} back into the spare pool" for b in pool]
    if problems:
        steps.append(f"{enclosure} stays drained")
    else:
        steps.append(f"undrain {enclosure}")
        steps += [f"{b} back into the spare pool (a failed-over profile's spare)" for b in freed]
    return Plan("restore", f"Restore {enclosure}",
                f"restore {enclosure}: {len(moves)} profile(s) home, {parallel} at a time",
                tuple(steps),
                RestoreParams(group=group, enclosure=enclosure, moves=tuple(moves),
                              parallel=parallel, stop_on_failure=stop_on_failure,
                              pool=tuple(pool + freed), left=tuple(left_out)),
                locks=_locks(enclosure, moves), target=enclosure, reason="the work on the enclosure is done",
                warnings=tuple(_left_warning(left) + kept), confirm_label="Restore",
                shortfalls=tuple(problems))


def started(ctx: OpContext, job: JobContext, p: EvacuateParams) -> None:
    job_id = job.job_id
    what = "restore" if p.restore else "evacuate"
    ctx.event("warning" if not p.restore else "info", f"enclosure:{p.enclosure}",
              f"{what}.started", f"job {job_id}: {what} {p.enclosure}: {len(p.moves)} "
              f"profile(s)", job_id, enclosure=p.enclosure, profiles=[m[0] for m in p.moves])


def run(ctx: OpContext, job: JobContext, p: EvacuateParams) -> str:
    enclosure, job_id = p.enclosure, job.job_id
    what = "restore" if p.restore else "evacuation"
    job.step(StepKey.drain(enclosure, p.restore),
             lambda: _drain(ctx, enclosure, job_id))

    def one(move: Move) -> None:
        name, source, target = move
        if p.restore:
            go_home(ctx, job, name, source, target, source in p.pool, what)
            return
        if source is not None and ctx.profile(name).home is None:
            ctx.store.set_home(name, source)
        relocate(ctx, job, move, what, borrow=True)

    failed, skipped = run_bounded(p.moves, one, p.parallel, p.stop_on_failure)
    if failed or skipped:
        ctx.event("critical", f"enclosure:{enclosure}", f"{'restore' if p.restore else 'evacuate'}"
                  ".incomplete", f"job {job_id}: {what} of {enclosure}: {len(failed)} failed"
                  + (f", {len(skipped)} not started" if skipped else "")
                  + f"; {enclosure} stays drained: " + "; ".join(failed), job_id,
                  enclosure=enclosure, skipped=skipped)
        raise OperationFailed(f"{what} of {enclosure}: {len(failed)} profile(s) failed"
                              + (f", {len(skipped)} not started ({', '.join(skipped)})"
                                 if skipped else "")
                              + f"; {enclosure} stays drained: " + "; ".join(failed))
    if p.restore and not p.left:
        job.step(StepKey.undrain(enclosure), lambda: _undrain(ctx, enclosure))
        sources = {m[1] for m in p.moves}
        for bay_id in (b for b in p.pool if b not in sources):
            give_back(ctx, job, bay_id)
    # A forced restore that leaves profiles away keeps the drain (and the enclosure's
    # freed spares out of the pool): `bayops restore` again brings the rest home.
    ctx.event("info", f"enclosure:{enclosure}", f"{'restore' if p.restore else 'evacuate'}.done",
              f"job {job_id}: {what} of {enclosure} done: {len(p.moves)} profile(s) moved"
              + (f"; {enclosure} stays drained, {len(p.left)} profile(s) away from home"
                 if p.left else "" if p.restore else f"; {enclosure} is drained"),
              job_id, enclosure=enclosure)
    return f"{what} of {enclosure}: {len(p.moves)} profile(s) moved"


def _drain(ctx: OpContext, enclosure: str, job_id: int) -> str:
    ctx.store.set_drained(enclosure, job_id)
    return f"{enclosure} drained for job {job_id}: no failover target, no spare use"


def _undrain(ctx: OpContext, enclosure: str) -> str:
    ctx.store.set_drained(enclosure, None)
    return f"{enclosure} back in use"


def run_bounded(moves: Sequence[Move], one: Callable[[Move], None], parallel: int,
                stop_on_failure: bool) -> tuple[list[str], list[str]]:
    """Run ``one`` for every move, ``parallel`` at once; (failures, profiles not started).
    A failure stops the moves not yet started when ``stop_on_failure``. Anything that is
    not an OperationFailed (a crash, a bug) stops the rest and is raised."""
    stop = threading.Event()
    lock = threading.Lock()
    failed: list[str] = []
    skipped: list[str] = []

    def guarded(move: Move) -> None:
        if stop.is_set():
            with lock:
                skipped.append(move[0])
            return
        try:
            one(move)
        except OperationFailed as exc:
            with lock:
                failed.append(f"{move[0]}: {exc}")
            if stop_on_failure:
                stop.set()
        except BaseException:
            stop.set()
            raise
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        futures = [pool.submit(guarded, m) for m in moves]
    for future in futures:
        future.result()  # re-raises what was not an OperationFailed
    return failed, skipped


# The job kinds this module runs (collected by tui.core.ops.registry).
JOB_KINDS = (
    JobKind(EvacuateParams, run, resumable=True, started=started),
    JobKind(RestoreParams, run, resumable=True, started=started),
)
