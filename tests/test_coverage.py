"""Coverage what-if: hand-built fleets with known answers, the same spare as a failover
would take, and `bayops coverage` as a script reads it."""
from __future__ import annotations

import pytest

from tui.core.ops import coverage
from tui.model.entities import Bay

GEN10 = ("ProLiant BL460c Gen10", "Gen10")
GEN9 = ("ProLiant BL460c Gen9", "Gen9")

pytestmark = pytest.mark.both_stores  # each test on SQLite and PostgreSQL


def bay(enc: str, n: int, *, domain: str = "d1", group: str = "g", model=GEN10,
        profile: str | None = None, spare: bool = False, boot: str = "san",
        health: str = "ok", maintenance: bool = False, drained: bool = False) -> Bay:
    return Bay(id=f"{enc}/{n}", enclosure=enc, number=n, domain=domain, group=group,
               model=model[0], generation=model[1], serial=f"S{enc}{n}",
               power="on" if profile else "off", health=health, spare=spare, profile=profile,
               boot_mode=boot if profile else None, job_id=None, maintenance=maintenance,
               drained=drained)


def fleet_two_enclosures(spare_model=GEN10, spares: int = 2) -> list[Bay]:
    """Enclosure a: 3 SAN profiles (Gen10) and 1 local-boot; enclosure b: spares."""
    bays = [bay("a", 1, profile="p1"), bay("a", 2, profile="p2"), bay("a", 3, profile="p3"),
            bay("a", 4, profile="p4", boot="local")]
    bays += [bay("b", n, domain="d2", model=spare_model, spare=True) for n in range(1, spares + 1)]
    return bays


def test_losing_an_enclosure_places_what_the_spares_cover_and_says_why_not_the_rest():
    (g,) = coverage.simulate(fleet_two_enclosures(spares=2), {"a/1", "a/2", "a/3", "a/4"})
    assert [(p.profile, p.target) for p in g.placed] == [("p1", "b/1"), ("p2", "b/2")]
    assert [(u.profile, u.code) for u in g.unplaced] == [("p3", "no-spare"), ("p4", "local-boot")]
    assert "used up" in g.unplaced[0].why
    assert g.spares_before == ("b/1", "b/2") and g.spares_left == ()
    assert not g.covered and g.short == ("ProLiant BL460c Gen10",)


def test_a_group_whose_only_spare_is_another_model_covers_nothing():
    bays = fleet_two_enclosures(spare_model=GEN9, spares=3)
    (g,) = coverage.simulate(bays, {"a/1", "a/2", "a/3", "a/4"})
    assert g.placed == ()
    assert [u.code for u in g.unplaced] == ["no-spare", "no-spare", "no-spare", "local-boot"]
    assert g.unplaced[0].why == "no spare of model ProLiant BL460c Gen10 in group g"
    assert g.spares_left == ("b/1", "b/2", "b/3")  # still there, for Gen9 profiles
    sweep = {c.enclosure: c for c in coverage.sweep(bays)}
    assert not sweep["a"].covered and sweep["a"].placed == 0 and sweep["a"].profiles == 4
    assert sweep["b"].covered and sweep["b"].profiles == 0
    assert coverage.badge(list(sweep.values())) == ("no cover for Gen10", False)


def test_enough_spares_cover_and_the_badge_says_so():
    bays = fleet_two_enclosures(spares=3)
    covers = coverage.sweep(bays)
    assert all(c.covered for c in covers)
    assert coverage.badge(covers) == ("covers 1 enc", True)


def test_lost_spares_maintenance_and_drained_spares_are_not_counted_on():
    bays = [bay("a", 1, profile="p1"), bay("a", 2, spare=True),
            bay("b", 1, domain="d2", profile="p2", maintenance=True),
            bay("c", 1, domain="d3", spare=True, drained=True)]
    (g,) = coverage.simulate(bays, {"a/1", "a/2", "b/1"})
    # a/2 dies with its enclosure, c/1 is drained: nothing left for p1
    assert [(u.profile, u.code) for u in g.unplaced] == [("p1", "no-spare"), ("p2", "maintenance")]
    assert g.spares_before == ("a/2",) and g.spares_left == ()


def test_same_domain_first_as_failover_ranks():
    bays = [bay("a", 1, profile="p1"), bay("x", 1, domain="d9", spare=True),
            bay("a", 5, spare=True)]
    (g,) = coverage.simulate(bays, {"a/1"})
    assert g.placed[0].target == "a/5" and "same domain" in g.placed[0].reason


def test_what_if_of_a_bay_names_the_spare_the_failover_plan_takes(core):
    source = next(b for b in core.bays() if b.profile and b.boot_mode == "san"
                  and core.failover_candidates(b.id) and core.failover_candidates(b.id)[0].usable)
    core.sim_fault(source.id, "critical")
    plan = core.plan_failover(source.id)
    result = core.coverage(source.id)
    (g,) = result.groups
    assert [(p.profile, p.target, p.reason) for p in g.placed] == [
        (plan.profile, plan.target, plan.reason)]
    # the live state is untouched by the what-if
    assert core.store.bay(plan.target).profile is None


def test_coverage_cli_json_and_bad_names(cli):
    sweep = cli("coverage", "prod-db", "--json")
    assert sweep.code == 0
    rows = sweep.json["enclosures"]
    assert {r["enclosure"] for r in rows} == {"enc-d1", "enc-d2", "enc-d3"}
    assert all(r["group"] == "prod-db" for r in rows)
    what_if = cli("coverage", "--lose", "enc-d1", "--json")
    assert what_if.code == 0
    data = what_if.json
    assert data["lose"] == {"kind": "enclosure", "name": "enc-d1",
                            "bays": [f"enc-d1/{n}" for n in range(1, 17)]}
    (group,) = data["groups"]
    placed = len(group["placed"])
    assert len(group["spares_before"]) - len(group["spares_left"]) == placed
    text = cli("coverage", "--lose", "enc-d1")
    assert text.out.startswith("lose enclosure enc-d1 (16 bays): ")
    bad = cli("coverage", "--lose", "enc-zz", "--json")
    assert bad.code == 2 and bad.json["code"] == "unknown-name"
    assert cli("coverage", "nogroup").code == 2


def test_the_groups_badge_follows_the_change_feed(tmp_path, make_state):
    from conftest import write_config

    from tui.core.api import Core
    from tui.core.config import load_config
    from tui.core.view import FleetView

    config = load_config(write_config(tmp_path / "c.toml", replace={
        "spares = 1": "spares = 16",
        'models = ["ProLiant BL460c Gen9", "ProLiant BL460c Gen8"]': 'models = ["ProLiant BL460c Gen9"]'}))
    core = Core.open(config, str(make_state()), operator="tester")
    try:
        view, _ = FleetView.load(core)
        assert (view.group("lab").cover, view.group("lab").cover_ok) == ("covers 1 enc", True)
        spares = [b.id for b in core.spare_bays("lab")]
        core.spares("lab", [], spares[2:])  # two spares left: an enclosure is not covered
        view = view.apply(view.fetch(core))
        assert (view.group("lab").cover, view.group("lab").cover_ok) == ("no cover for Gen9", False)
        assert view.group("lab").cover == FleetView.load(core)[0].group("lab").cover
        status = {g.name: g.cover for g in core.groups()}
        assert status["lab"] == "no cover for Gen9"
    finally:
        core.close()


def random_bay(rng, enc: str, n: int) -> Bay:
    """Any state a bay may be in, as far as coverage reads it."""
    model = rng.choice([GEN10, GEN9, ("ProLiant BL460c", "unknown"), (None, None)])
    profile = rng.choice([None, None, f"p-{enc}-{n}"]) if model[0] else None
    return Bay(id=f"{enc}/{n}", enclosure=enc, number=n, domain=f"d-{enc[0]}", group="g",
               model=model[0], generation=model[1], serial=None, power=rng.choice(["on", "off"]),
               health=rng.choice(["ok", "ok", "ok", "warning", "critical"]),
               spare=profile is None and rng.random() < 0.5, profile=profile,
               boot_mode=rng.choice(["san", "san", "local"]) if profile else None,
               job_id=rng.choice([None, None, None, None, 7]),
               maintenance=rng.random() < 0.1, drained=rng.random() < 0.05,
               flag=rng.choice([None] * 9 + ["serial changed"]),
               domain_job=rng.choice([None] * 9 + [8]))


@pytest.mark.parametrize("seed", range(6))
def test_the_badge_kept_per_changed_bay_equals_a_sweep_of_the_group(seed):
    """GroupCover, after any sequence of changes, says what a sweep of the whole group does."""
    import random

    rng = random.Random(seed)
    order = ["e3", "a1", "c2", "b4", "d5"]  # the group's order, not the names' order
    bays = {f"{e}/{n}": random_bay(rng, e, n) for e in order for n in range(1, 9)}
    kept = coverage.GroupCover()
    for b in bays.values():
        kept.add(b, 1)

    def of(enclosure: str) -> list[Bay]:
        return [b for b in bays.values() if b.enclosure == enclosure]
    badges = set()
    for _ in range(300):
        for bay_id in rng.sample(sorted(bays), rng.randint(1, 6)):
            old = bays[bay_id]
            new = random_bay(rng, old.enclosure, old.number)
            if rng.random() < 0.5:  # the feed's way: what the bay counts as, if it changed
                kept.replace(old, new)
            else:
                kept.add(old, -1)
                kept.add(new, 1)
            bays[bay_id] = new
        expected = coverage.badge(coverage.sweep(list(bays.values())))
        assert kept.badge(of) == expected
        badges.add(expected)
    assert len(badges) >= 3  # the sequence went through several answers, covered among them
    assert ("covers 1 enc", True) in badges


@pytest.mark.parametrize("seed", range(2))
def test_a_view_kept_by_the_change_feed_equals_a_fresh_load(core, seed):
    """Random readings, spare pools and maintenance, each batch applied from the feed: the
    groups' figures and coverage badges are those of a view loaded afresh."""
    import random

    from tui.core.view import FleetView

    rng = random.Random(seed)
    store = core.store
    view, _ = FleetView.load(core)
    servers = [b for b in store.bays() if not b.empty]
    domains = sorted({b.domain for b in servers})
    badges = set()
    for _ in range(25):
        with store.write():
            for b in rng.sample(servers, 6):
                store.set_reading(b.id, rng.choice(["on", "off"]),
                                  rng.choice(["ok", "ok", "warning", "critical"]))
                if store.bay(b.id).profile is None:
                    store.set_spare(b.id, rng.random() < 0.4)
        if rng.random() < 0.2:
            domain = rng.choice(domains)
            if store.maintenance(domain):
                core.maintenance_cancel(domain, force=True)
            elif not any(m.group == store.domain_group(domain) for m in store.maintenance()):
                core.maintenance_start(domain, "test")
        while True:
            update = view.fetch(core)
            view = view.apply(update)
            if not update.more:
                break
        fresh, _ = FleetView.load(core)
        assert view.groups == fresh.groups
        # the header's spare pools and failures a failover would move, kept per bay as well
        assert view.unspared() == fresh.unspared()
        assert view.uncovered_failures() == fresh.uncovered_failures()
        badges |= {(g.cover, g.cover_ok) for g in view.groups}
    assert len(badges) >= 2


def test_a_job_holding_a_domain_takes_its_spares_out_of_coverage_through_the_feed(core):
    """A complete, an upgrade or a restore holding a domain keeps its spares from every
    failover: the groups' ready spares and badges (kept from the feed), `status`'s figures
    and the failover's candidates say so together when the job takes the domain, and
    again when it lets it go."""
    from tui.core.view import FleetView
    from tui.model.params import DomainSetParams

    store = core.store
    view, _ = FleetView.load(core)
    domain = "web-dom1"
    held = [b.id for b in store.bays(domain=domain) if coverage.ready(b)]
    failing = next(b for b in store.bays(group="prod-web") if b.domain != domain
                   and b.profile and b.boot_mode == "san")
    assert held and any(c.usable and c.bay.id in held
                        for c in core.failover_candidates(failing.id))
    before = view.group("prod-web")
    claim = store.new_claim(None)
    job = store.create_job("tester", "a complete in flight", DomainSetParams(
        group="prod-web", domain=domain, key="k", value="v"), [f"domain:{domain}"], claim)
    view = view.apply(view.fetch(core))
    taken = view.group("prod-web")
    assert taken.spares_ready == before.spares_ready - len(held)
    assert view.groups == FleetView.load(core)[0].groups
    assert {g.name: (g.spares_ready, g.cover) for g in core.groups()}["prod-web"] == (
        taken.spares_ready, taken.cover)
    unusable = {c.bay.id: c.reason for c in core.failover_candidates(failing.id) if not c.usable}
    assert all(unusable[b] == f"domain {domain} held by job {job}" for b in held)
    store.finish_job(job, "done", claim)
    view = view.apply(view.fetch(core))
    assert view.group("prod-web") == before


def test_covered_says_how_many_profiles_no_failover_could_save(core):
    lost = core.bays(enclosure="enc-w5")
    on_it = [b for b in lost if b.profile]
    core.maintenance_start(lost[0].domain, "t")
    result = core.coverage("enc-w5")
    n = len(on_it)
    assert result.to_dict()["covered"] is True  # no spare is short: maintenance is no shortfall
    assert result.to_dict()["not_recoverable"] == {"maintenance": n}
    assert result.groups[0].to_dict()["not_recoverable"] == {"maintenance": n}
    assert result.text().splitlines()[0] == (
        f"lose enclosure enc-w5 ({len(lost)} bays): covered: 0 of {n} profiles placed, "
        f"{n} unplaced ({n} in maintenance)")
    # and mixed reasons are each counted
    g = coverage.simulate([bay("a", 1, profile="p1", boot="local"),
                           bay("a", 2, profile="p2", maintenance=True),
                           bay("a", 3, profile="p3", boot="local")], {"a/1", "a/2", "a/3"})[0]
    assert g.covered and g.not_recoverable == {"local-boot": 2, "maintenance": 1}
    assert coverage.verdict(g.covered, len(g.placed), g.unplaced) == (
        "covered: 0 of 3 profiles placed, 3 unplaced (2 boot from local disk, 1 in maintenance)")


def test_the_what_if_headline_counts_every_unplaced_profile(core):
    core.spares("prod-web", [], [b.id for b in core.spare_bays("prod-web")])
    result = core.coverage("enc-w1")
    placed = sum(len(g.placed) for g in result.groups)
    unplaced = sum(len(g.unplaced) for g in result.groups)
    assert unplaced > 1
    head = result.text().splitlines()[0]
    assert f"NOT covered: {placed} of {placed + unplaced} profiles placed, {unplaced} unplaced (" \
        in head and "no usable spare" in head, head


def test_a_loss_outside_the_named_group_is_bad_input(cli):
    other = cli("coverage", "prod-db", "--lose", "enc-w1", "--json")
    assert other.code == 2 and other.json["code"] == "not-in-group"
    assert other.json["error"] == "enc-w1 is not in group prod-db"
    assert cli("coverage", "prod-web", "--lose", "enc-w1", "--json").code == 0


@pytest.mark.parametrize("seed", range(12))
def test_the_counting_sweep_answers_as_the_simulated_failovers_do(tmp_path, make_state, seed):
    """The badge's sweep counts spares instead of simulating each failover: on fleets
    mangled at random it must say what the simulation says, enclosure by enclosure."""
    import dataclasses
    import random

    from conftest import write_config

    from tui.core.api import Core
    from tui.core.config import load_config

    config = write_config(tmp_path / "c.toml", replace={  # enough spares to cover some
        "spares = 3": "spares = 10", "spares = 2": "spares = 6", "spares = 1": "spares = 5"})
    core = Core.open(load_config(config), str(make_state()), operator="tester")
    rng = random.Random(seed)
    bays = []
    for bay in core.bays():
        if not bay.empty and rng.random() < 0.3:
            bay = dataclasses.replace(
                bay, health=rng.choice(["ok", "ok", "warning", "critical"]),
                power=rng.choice(["off", "off", "on"]), maintenance=rng.random() < 0.1,
                spare=bay.profile is None and rng.random() < 0.6,
                boot_mode=rng.choice([bay.boot_mode, "local"]),
                job_id=rng.choice([None, None, None, 7]), drained=rng.random() < 0.05,
                flag=rng.choice([None, None, None, None, "swapped"]))
        bays.append(bay)
    by_group: dict[str, list] = {}
    for bay in bays:
        by_group.setdefault(bay.group, []).append(bay)
    outcomes = set()
    for cover in coverage.sweep(bays):
        lost = [b for b in bays if b.enclosure == cover.enclosure]
        simulated = coverage._simulate_group(cover.group, by_group[cover.group], lost)
        assert (cover.profiles, cover.placed, cover.covered, cover.short) == (
            len(simulated.placed) + len(simulated.unplaced), len(simulated.placed),
            simulated.covered, simulated.short), cover.enclosure
        if cover.profiles:
            outcomes.add(cover.covered)
    assert outcomes == {True, False}, "both answers are compared"
    core.close()
