"""Hostile strings in every field a user can set: refused at the door with one clipped
line (exit 2, nothing changed), and nothing from data reaches the terminal raw."""
from __future__ import annotations

import re

import pytest
from conftest import dump

from tui.model.stateref import StateRef

pytestmark = pytest.mark.both_stores  # refused on either store, and nothing changed in it
INVISIBLE = "\u2028\u2029\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f\u180e"
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                    + INVISIBLE + "]")
# (NUL cannot travel in an argument; the stored-text test below carries one.)
HOSTILE = {
    "osc-title": "\x1b]2;OWNED\x07",
    "csi": "x\x1b[2J\x1b[31mred",
    "c1": "a\x9b31mb",
    "bidi": "abc\u202edcba",
    "invisible": "a" + INVISIBLE + "b",
    "newline": "x\n   77 2030-01-01 00:00:00 critical bay:enc-l1/1 FORGED",
    "tab": "a\tb",
    "markup": "[/]4.70",
    "click": "[@click=app.quit]x[/]",
    "long": "n" * 10_000,
}


def in_maintenance(cli) -> None:
    assert cli("maintenance", "start", "lab-dom1", "--reason", "fw", "--yes").code == 0


# (setup, argv) for each field a user sets; {} is the hostile value.
FIELDS = {
    "maintenance reason": (None, ("maintenance", "start", "lab-dom1", "--reason", "{}", "--yes")),
    "firmware": (in_maintenance, ("domain", "set", "lab-dom1", "firmware", "{}", "--yes")),
    "network name": (in_maintenance, ("domain", "set", "lab-dom1", "network.{}", "100", "--yes")),
    "local user": (in_maintenance, ("domain", "set", "lab-dom1", "user.{}", "admin", "--yes")),
    "profile name": (None, ("profile", "create", "{}", "--group", "lab", "--yes")),
    "enclosure name": (None, ("enclosure", "add", "lab", "{}", "--yes")),
    "domain name": (None, ("enclosure", "add", "lab", "enc-z9", "--domain", "{}", "--yes")),
    "policy window": (None, ("policy", "lab", "--window", "{}", "--yes")),
    "pool address": (None, ("pools", "exclude", "mac", "{}", "--yes")),
    "bay id": (None, ("failover", "{}", "--yes")),
    "group name": (None, ("bays", "--group", "{}")),
    "profile to move": (None, ("move", "{}", "--to", "enc-l1/1", "--yes")),
}


FREE_TEXT = ("maintenance reason", "firmware")


def assert_clean(text: str) -> None:
    assert not UNSAFE.search(text), repr(text[:200])


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("field", FIELDS, ids=FIELDS.keys())
def test_hostile_value_is_refused_in_one_clipped_line(core, cli, field, value):
    core.close()  # the store made and seeded (in this process: quicker than `bayops status`)
    setup, argv = FIELDS[field]
    if setup:
        setup(cli)
    before = dump(cli.state)
    r = cli(*(a.replace("{}", value) for a in argv))
    assert_clean(r.out + r.err)
    if field in FREE_TEXT and value in (HOSTILE["markup"], HOSTILE["click"]):
        # brackets are text: accepted, and shown as text, never as markup (tests/app)
        assert r.code == 0, r.err
        return
    assert r.code == 2, (r.code, r.err)
    assert len(r.err.strip().splitlines()) == 1 and len(r.err) < 400
    assert dump(cli.state) == before


def test_stored_hostile_text_is_shown_escaped_by_the_cli(cli):
    """Text already in the store (an older bayops, a BMC message) is escaped on output."""
    from tui.core.store import Store

    assert cli("maintenance", "start", "lab-dom1", "--reason", "fw", "--yes").code == 0
    store = Store(StateRef.parse(cli.state))
    with store.write() as db:
        db.execute("UPDATE maintenance SET reason = ?, owner = ?",
                   (HOSTILE["newline"] + HOSTILE["osc-title"], "m\x1b[1mallory"))
    store.add_event("critical", "bay:enc-l1/1", "hardware.test", HOSTILE["newline"] + "\u202e\x00",
                    "bmc\x9b")
    store.close()
    for argv in (("events",), ("status",), ("maintenance", "status"), ("events", "--since", "0")):
        r = cli(*argv)
        assert r.code == 0, r.err
        assert_clean(r.out)
        assert "FORGED" not in "".join(line for line in r.out.splitlines()
                                       if line.lstrip().startswith("77 2030"))
    assert "\\x1b]2;OWNED\\x07" in cli("maintenance", "status").out
    # exact; PostgreSQL text cannot hold NUL, so it keeps U+FFFD in its place
    nul = "\ufffd" if isinstance(cli.state, str) else "\x00"
    assert cli("events", "--json").json[-1]["message"].endswith("FORGED\u202e" + nul)


def test_config_values_are_typed_not_coerced(tmp_path, cli):
    base = (tmp_path / "config.toml").read_text()
    cases = {
        "users = {vcadmin = {a = 1}}": ('users = { vcadmin = "admin" }', 'users = { vcadmin = { a = 1 } }'),
        "grant = 5": ("[roles]", "[roles]\ngrant = 5"),
    }
    for name, (old, new) in cases.items():
        assert old in base, name
        bad = tmp_path / f"bad-{len(new)}.toml"
        bad.write_text(base.replace(old, new, 1))
        r = cli("--config", str(bad), "status")
        assert r.code == 2 and "internal error" not in r.err, (name, r.err)
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    r = cli("--config", str(deep), "status")
    assert r.code == 2 and "internal error" not in r.err, r.err
    huge = tmp_path / "huge.toml"
    huge.write_text("# " + "x" * (2 * 1024 * 1024) + "\n")
    r = cli("--config", str(huge), "status")
    assert r.code == 2 and "larger than" in r.err


def test_bayops_user_must_be_a_plain_name(cli):
    r = cli("status", user="alice\x1b]2;x\x07")
    assert r.code == 2 and "BAYOPS_USER" in r.err
    assert_clean(r.err)


def test_a_trailing_newline_makes_no_enclosure(cli):
    r = cli("enclosure", "add", "lab", "enc-z\n", "--yes")
    assert r.code == 2
    assert not any(b["id"].startswith("enc-z") for b in cli("bays", "--json").json)


@pytest.mark.parametrize("char", list(INVISIBLE))
def test_each_invisible_character_is_refused_in_text_and_escaped_when_shown(char):
    from tui.core.validate import check_text
    from tui.model.errors import BadInput
    from tui.model.text import printable

    with pytest.raises(BadInput) as refused:
        check_text(f"fw{char}update", "--reason")
    assert refused.value.code == "bad-text" and char not in str(refused.value)
    shown = printable(f"a{char}b")
    assert shown.isascii() and f"{ord(char):02x}" in shown  # a visible escape: \\xad, \\u200b
