"""The invariant triggers, described once and rendered for SQLite and for PostgreSQL.

Each ``Invariant`` is one trigger that refuses a row: the table, the event (and for an
UPDATE the columns it watches), the condition under which the row is refused (SQL both
databases speak; ``{now}`` is the database's clock in Unix seconds; empty: always) and
the message. SQLite renders it as ``CREATE TRIGGER … WHEN … RAISE(ABORT, …)``;
PostgreSQL, whose WHEN cannot hold a subquery, as a PL/pgSQL function raising SQLSTATE
23000 (an integrity violation, as SQLite's RAISE(ABORT) is) and a trigger calling it.
Both carry the same trigger names (``tests/test_postgres.py`` reads them back).

``rerender`` drops every invariant trigger and creates ``INVARIANTS`` anew: a migration
is that one call. To change an invariant, edit ``INVARIANTS`` (a name no longer used goes
to ``RETIRED``) and append a migration that rerenders; never edit a migration that has
shipped. Every rerender renders the newest ``INVARIANTS``, so a store made fresh and one
migrated step by step end with the same triggers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Dialect = Literal["sqlite", "postgresql"]
Event = Literal["INSERT", "UPDATE", "DELETE"]
_WRITES: tuple[Event, ...] = ("INSERT", "UPDATE")

# The database's clock, in Unix seconds.
_NOW = {"sqlite": "((julianday('now') - 2440587.5) * 86400.0)",
        "postgresql": "extract(epoch from clock_timestamp())::double precision"}


@dataclass(frozen=True)
class Invariant:
    name: str
    table: str
    event: Event
    message: str
    condition: str = ""  # refused when it holds; "" always
    columns: str = ""  # UPDATE OF these columns only

    def __post_init__(self) -> None:
        if "'" in self.message:
            raise ValueError(f"{self.name}: a message is an SQL literal, no quote in it")

    def _when(self) -> str:
        of = f" OF {self.columns}" if self.columns else ""
        return f"BEFORE {self.event}{of} ON {self.table}"

    def _condition(self, dialect: Dialect) -> str:
        condition = self.condition.replace("{now}", _NOW[dialect])
        if dialect == "sqlite":  # SQLite before 3.39 knows only its own spelling
            condition = condition.replace(" IS DISTINCT FROM ", " IS NOT ")
        return condition

    def sqlite(self) -> str:
        when = f"\n    WHEN {self._condition('sqlite')}" if self.condition else ""
        return (f"CREATE TRIGGER {self.name} {self._when()}{when}\n"
                f"    BEGIN SELECT RAISE(ABORT, '{self.message}'); END;\n")

    def postgresql(self) -> str:
        row = "OLD" if self.event == "DELETE" else "NEW"
        return (f"CREATE FUNCTION bayops_{self.name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n"
                f"    IF {self._condition('postgresql') or 'TRUE'} THEN\n"
                f"        RAISE EXCEPTION '{self.message}' USING ERRCODE = "
                f"'integrity_constraint_violation';\n"
                f"    END IF;\n"
                f"    RETURN {row};\n"
                f"END $$;\n"
                f"CREATE TRIGGER {self.name} {self._when()} FOR EACH ROW "
                f"EXECUTE FUNCTION bayops_{self.name}();\n")


_ARCHIVED_SEQ = "COALESCE((SELECT MAX(last_seq) FROM archives), 0)"
_ARCHIVED_JOB = "COALESCE((SELECT MAX(last_job) FROM archives), 0)"
_FENCED = ("EXISTS (SELECT 1 FROM leader WHERE (NEW.epoch IS NOT NULL AND NEW.epoch <> epoch)"
           " OR (NEW.epoch IS NULL AND expires > {now}))")
_CLAIMED = "NEW.runner IS DISTINCT FROM (SELECT runner FROM jobs WHERE id = NEW.job)"

INVARIANTS: tuple[Invariant, ...] = (
    # The event log and the archive register are append-only; only archived rows go.
    Invariant("events_append_only_update", "events", "UPDATE", "the event log is append-only"),
    Invariant("events_delete_only_archived", "events", "DELETE",
              "the event log is append-only (except into a recorded archive)",
              f"OLD.seq > {_ARCHIVED_SEQ}"),
    Invariant("archives_append_only_update", "archives", "UPDATE",
              "the archive register is append-only"),
    Invariant("archives_append_only_delete", "archives", "DELETE",
              "the archive register is append-only"),
    Invariant("jobs_delete_only_archived", "jobs", "DELETE",
              "only a finished, archived job can be deleted",
              f"OLD.state = 'running' OR OLD.id > {_ARCHIVED_JOB}"),
    Invariant("steps_delete_only_archived", "steps", "DELETE",
              "only steps of a finished, archived job can be deleted",
              f"OLD.job > {_ARCHIVED_JOB} OR (SELECT state FROM jobs WHERE id = OLD.job) = 'running'"),
    # A spare holds no profile; drained enclosures and flagged bays take none, give no spare.
    Invariant("spare_holds_no_profile", "profiles", "UPDATE", "a spare bay cannot hold a profile",
              "NEW.bay IS NOT NULL AND (SELECT spare FROM bays WHERE id = NEW.bay) = 1", "bay"),
    Invariant("profiled_bay_is_no_spare", "bays", "UPDATE",
              "a bay holding a profile cannot be a spare",
              "NEW.spare = 1 AND EXISTS (SELECT 1 FROM profiles WHERE bay = NEW.id)", "spare"),
    Invariant("drained_gives_no_spare", "bays", "UPDATE",
              "a bay of a drained enclosure cannot become a spare",
              "NEW.spare = 1 AND OLD.spare = 0 AND"
              " (SELECT drained_job FROM enclosures WHERE name = NEW.enclosure) IS NOT NULL", "spare"),
    Invariant("flagged_gives_no_spare", "bays", "UPDATE", "a flagged bay cannot become a spare",
              "NEW.spare = 1 AND OLD.spare = 0 AND NEW.flag IS NOT NULL", "spare"),
    Invariant("drained_takes_no_profile", "profiles", "UPDATE",
              "a drained enclosure takes no profile",
              "NEW.bay IS NOT NULL AND NEW.bay IS DISTINCT FROM OLD.bay AND EXISTS ("
              "SELECT 1 FROM bays b JOIN enclosures e ON e.name = b.enclosure"
              " WHERE b.id = NEW.bay AND e.drained_job IS NOT NULL AND NOT EXISTS ("
              "SELECT 1 FROM locks WHERE resource = 'profile:' || NEW.name"
              " AND job = e.drained_job))", "bay"),
    Invariant("flagged_takes_no_profile", "profiles", "UPDATE",
              "a flagged bay takes no profile until it is cleared",
              "NEW.bay IS NOT NULL AND NEW.bay IS DISTINCT FROM OLD.bay"
              " AND (SELECT flag FROM bays WHERE id = NEW.bay) IS NOT NULL", "bay"),
    # Bearer tokens: never edited, revoked at most once, kept for the audit.
    Invariant("tokens_fixed", "tokens", "UPDATE", "a token is never edited; revoke it, make another",
              columns='id, "user", hash, created, expires, created_by'),
    Invariant("tokens_revoked_once", "tokens", "UPDATE", "a revoked token stays revoked",
              "OLD.revoked IS NOT NULL", "revoked"),
    Invariant("tokens_kept", "tokens", "DELETE", "tokens are kept for the audit; revoke instead"),
    # The leader lease: its epoch only grows; a job write carries the leader's epoch, and
    # a step only the runner's that holds its job.
    Invariant("leader_epoch_grows", "leader", "UPDATE", "a lease epoch never goes back",
              "NEW.epoch < OLD.epoch", "epoch"),
    Invariant("leader_kept", "leader", "DELETE", "the leader row is kept: its epoch must only grow"),
    *(Invariant(f"{table}_fenced_{event.lower()}", table, event,
                "fenced: a job write without the epoch of the leading service", _FENCED)
      for table in ("jobs", "steps") for event in _WRITES),
    *(Invariant(f"steps_claimed_{event.lower()}", "steps", event,
                "fenced: a step written by a runner that does not hold its job", _CLAIMED)
      for event in _WRITES),
)

# Invariant triggers (or, on PostgreSQL, their functions) of earlier schemas that no
# entry above names: (name, table). PostgreSQL's schemas 8 and 10 made one trigger for
# INSERT OR UPDATE; schema 4 dropped the events' delete trigger but not its function.
RETIRED: tuple[tuple[str, str], ...] = (
    ("jobs_fenced", "jobs"), ("steps_fenced", "steps"), ("steps_claimed", "steps"),
    ("events_append_only_delete", "events"),
)


def rerender(dialect: Dialect) -> str:
    """SQL that drops every invariant trigger and creates ``INVARIANTS``."""
    known = [*((i.name, i.table) for i in INVARIANTS), *RETIRED]
    if dialect == "sqlite":
        drops = "".join(f"DROP TRIGGER IF EXISTS {name};\n" for name, _ in known)
        return drops + "".join(i.sqlite() for i in INVARIANTS)
    drops = "".join(f"DROP TRIGGER IF EXISTS {name} ON {table};\n"
                    f"DROP FUNCTION IF EXISTS bayops_{name}();\n" for name, table in known)
    return drops + "".join(i.postgresql() for i in INVARIANTS)
