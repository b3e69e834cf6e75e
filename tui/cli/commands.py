"""The sub-command table: `bayops --help` lists it without importing any command's module.

One line per top-level command, in the order `bayops --help` lists them: its name, the
`tui.cli` module whose `register(sub)` adds its parser and handler, and the one-line help
shown in that list (the module passes the same text; tests/test_import_hygiene.py checks
they agree). The module is imported only when its command is the one parsed.
"""
from __future__ import annotations

COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("status", "fleet", "per-group summary: bays, health, spares, maintenance, jobs"),
    ("bays", "fleet", "every bay with server, power, health, profile and spare flag"),
    ("coverage", "coverage", "what if a bay, enclosure or domain failed now: which profiles "
     "would find a spare (simulated; nothing changes)"),
    ("failover", "failover", "fail a bay's profile over to a spare (boot-from-SAN only)"),
    ("move", "failover", "move a profile to a named bay, in this group or another"),
    ("rediscover", "cycle", "read what is in the bays now: inserted, removed and swapped "
     "blades become events; a bay whose server changed under a profile is flagged"),
    ("adopt", "adopt", "adopt the appliance's server profiles as they are (OneView): "
     "nothing is written to the appliance; edits made there since are reported as drift"),
    ("clear", "cycle", "clear a flagged bay: the server now in it may be used again"),
    ("failback", "cycle", "move a failed-over profile back to its home bay, now healthy"),
    ("evacuate", "cycle", "move every profile off an enclosure (planned work) and drain it "
     "until `bayops restore`"),
    ("restore", "cycle", "move an evacuated enclosure's profiles back home and undrain it"),
    ("ack", "ack", "acknowledge bays that need attention: recorded with your name and "
     "comment; cleared when the bay is healthy again"),
    ("bay", "story", "one bay's story: state, home/away, health timeline, jobs, events "
     "and notes"),
    ("note", "story", "leave a note on a bay for the next shift (operator); "
     "--clear removes it"),
    ("handover", "story", "what changed since you last looked (or --since): new "
     "failures, who did what, open acks, drains, leases, failbacks"),
    ("spares", "spares", "show or change a group's spare pool"),
    ("maintenance", "maintenance", "exclusive maintenance lock on one domain"),
    ("domain", "maintenance", "show or edit a domain's configuration"),
    ("firmware", "upkeep", "firmware upgrade of a domain in maintenance; compliance"),
    ("ports", "upkeep", "a domain's uplink ports: link, speed, networks, errors"),
    ("enclosure", "enclosure", "add an enclosure to a group"),
    ("policy", "policy", "show or set a group's auto-failover policy"),
    ("profile", "profiles", "server profiles"),
    ("pools", "pools", "MAC, WWPN and serial pools: free, in use, excluded"),
    ("jobs", "jobs", "jobs: list, show one, resume interrupted ones"),
    ("events", "events", "the event log (audit trail)"),
    ("watch", "events", "headless monitor: health polling and the auto-failover policy"),
    ("sim", "sim", "simulator faults (sim driver only)"),
    ("serve", "serve", "run the site's service: the dashboard and the CLI connect to it"),
    ("token", "serve", "bearer tokens for remote (TLS) clients: create, list, revoke"),
    ("store", "store", "the state store itself: copy a site to another store"),
    ("info", "info", "embedded or a server's client: paths, driver, operator"),
)

# Commands that run on the server's host against its store, never through a server.
LOCAL_COMMANDS = ("serve", "token")
