"""Domain maintenance from the dashboard (issue 24): `E` on a domain in maintenance takes
a staged firmware upgrade (`upgrade VERSION`) and a restore (`restore BACKUP`), each
confirmed as its own plan."""
from __future__ import annotations

import pytest

from tests.app.conftest import make_app, wait_for, wait_jobs
from tests.app.test_dialogs import SIZE, domain_edit, settle, start_maintenance
from tui.app.confirm_screen import ConfirmScreen
from tui.app.domain_edit_screen import DomainEditScreen

pytestmark = [pytest.mark.anyio, pytest.mark.both_stores]


async def test_e_upgrades_firmware_stage_by_stage_and_restores_a_backup(core):
    core.domain_backup("web-dom1", "before the upgrade")
    async with make_app(core).run_test(size=SIZE) as pilot:
        await start_maintenance(pilot, core, "web-dom1")
        await domain_edit(pilot, "upgrade", "", "4.70")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert any(s.startswith("stage 4.70 on enc-w1") for s in pilot.app.screen.view.steps)
        await pilot.press("y")
        await wait_jobs(pilot)
        state = next(s for s in core.firmware_compliance("prod-web") if s.domain == "web-dom1")
        assert set(state.components.values()) == {"4.70"} and len(state.components) == 6
        await domain_edit(pilot, "restore", "", "x")
        assert isinstance(pilot.app.screen, DomainEditScreen), "a bad number stays in the dialog"
        await pilot.press("escape")
        await settle(pilot)
        backup = core.domain_backups("web-dom1")[-1].id
        await domain_edit(pilot, "restore", "", str(backup))
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert "~ firmware 4.70 -> 4.62" in pilot.app.screen.view.details
        await pilot.press("y")
        await wait_jobs(pilot)
        assert core.domain_config("web-dom1")[0].firmware == "4.62"


async def test_p_on_a_domain_lists_its_uplink_ports_and_a_port_down(core, monkeypatch):
    from tui.app.fleet import Scope
    from tui.app.groups_pane import GroupsTree
    from tui.app.ports_screen import PortsScreen
    from tui.app.text_screen import TextScreen

    def line(port: str, body: str | None = None) -> str:
        body = pilot.app.screen.body if body is None else body
        return next(row for row in body.splitlines() if row.startswith(port))

    # every body the dialog shows, in order: under load its second read may come before
    # the test looks, so the first read is checked as it was shown
    shown: list[str] = []
    texts = PortsScreen._texts

    def recorded(self, ports):
        title, body = texts(self, ports)
        shown.append(body)
        return title, body
    monkeypatch.setattr(PortsScreen, "_texts", recorded)

    core.sim_part("enc-w3/ic1:X2", "port-down")
    async with make_app(core).run_test(size=SIZE) as pilot:
        pilot.app.screen.query_one(GroupsTree).select_scope(Scope("domain", "web-dom2"))
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, TextScreen)
        assert screen.title_text == "Uplink ports of web-dom2: 4, 1 down"
        lines = screen.body.splitlines()
        assert any(line.startswith("enc-w3/ic1:X2") and "DOWN" in line for line in lines)
        assert any("web-front" in line for line in lines)
        assert "(-/s)" in line("enc-w3/ic1:X2", shown[0]), "one read: no rate yet"
        # the view reads again by itself: the failed port's errors grow, a good port's do not
        await wait_for(pilot, lambda: "(-/s)" not in line("enc-w3/ic1:X2"), timeout=10)
        assert "(0.0/s)" in line("enc-w3/ic1:X1")
        await wait_for(pilot, lambda: "(0.0/s)" not in line("enc-w3/ic1:X2"), timeout=10)


async def test_the_groups_pane_shows_each_groups_firmware_compliance_as_the_cli_does(core):
    from tui.app.fleet import Scope
    from tui.app.groups_pane import GroupsTree
    from tui.cli.upkeep import compliance_text

    def cli_line() -> str:
        return compliance_text(core.firmware_compliance("prod-web")).splitlines()[0]

    async with make_app(core).run_test(size=(80, 24)) as pilot:
        tree = pilot.app.screen.query_one(GroupsTree)
        node = tree._scope_nodes[Scope("group", "prod-web")]

        def shown() -> str:  # the line as drawn at 80x24, without its colours
            tree.scroll_to_node(node, animate=False)
            return tree.render_line(node.line - int(tree.scroll_offset.y)).text

        await settle(pilot)
        assert cli_line() == "prod-web: fw 3/3 at 4.62"
        assert "fw" not in shown().split("prod-web")[1][:8], "all on the baseline: stays quiet"
        # another operator upgrades web-dom1 in maintenance: the feed brings it to the pane
        core.maintenance_start("web-dom1", "fw")
        core.firmware_upgrade("web-dom1", "4.85")
        pilot.app.refresh_now()  # the feed worker's catch-up, without its timer
        await settle(pilot)
        assert "fw 2/3" in shown()
        assert cli_line() == "prod-web: fw 2/3 at 4.62"
        assert shown().split("prod-web", 1)[1].startswith(" fw 2/3"), shown()  # right after the name
        assert "fw 2/3 at 4.62" in "".join(text for text, _ in node.data.parts)
        core.maintenance_complete("web-dom1")
        pilot.app.refresh_now()
        await settle(pilot)
        assert "fw 2/3" not in shown()
        assert cli_line() == "prod-web: fw 3/3 at 4.85"


async def test_a_port_down_shows_in_its_domains_row_in_the_narrow_groups_pane(core):
    from tui.app.fleet import Scope
    from tui.app.groups_pane import GroupsTree

    async with make_app(core).run_test(size=SIZE) as pilot:  # the groups pane beside the bays
        tree = pilot.app.screen.query_one(GroupsTree)
        node = tree._scope_nodes[Scope("domain", "web-dom1")]
        core.sim_part("enc-w1/ic1:X1", "port-down")
        core.ports("web-dom1")  # a read (the monitor's sweep, `bayops ports`) records it
        pilot.app.refresh_now()
        await settle(pilot)
        tree.scroll_to_node(node, animate=False)
        shown = tree.render_line(node.line - int(tree.scroll_offset.y)).text
        assert "1 port down" in shown, shown


async def test_e_takes_a_credentials_file_from_the_home_folder(core, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    creds = tmp_path / "array.cred"
    creds.write_text("secret\n")
    creds.chmod(0o600)
    async with make_app(core).run_test(size=SIZE) as pilot:
        await start_maintenance(pilot, core, "web-dom1")
        await domain_edit(pilot, "storage", "san-a credentials", "@~/array.cred")
        assert isinstance(pilot.app.screen, ConfirmScreen), "no shell expands ~ after @: bayops does"
        await pilot.press("y")
        await wait_jobs(pilot)
        assert core.domain_config("web-dom1")[0].storage["san-a"]["credentials"] == f"@{creds}"
