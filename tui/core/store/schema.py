"""The store's schema, as forward migrations. Never edit one that has shipped."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from tui.core.store.invariants import rerender
from tui.model.text import quoted

SCHEMA_VERSION = 15



def _fenced(table: str, event: str) -> str:
    """Schema 8's fencing trigger on ``table`` (see there)."""
    return f"""
    CREATE TRIGGER {table}_fenced_{event.lower()} BEFORE {event} ON {table}
        WHEN EXISTS (SELECT 1 FROM leader WHERE
            (NEW.epoch IS NOT NULL AND NEW.epoch <> epoch)
            OR (NEW.epoch IS NULL AND expires > ((julianday('now') - 2440587.5) * 86400.0)))
        BEGIN SELECT RAISE(ABORT, 'fenced: a job write without the epoch of the leading service');
        END;
    """


# Each entry brings the schema from version i to i+1; never edit one that has shipped.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE groups(
        name TEXT PRIMARY KEY,
        baseline TEXT NOT NULL,
        policy TEXT NOT NULL CHECK (policy IN ('manual','alert','auto')),
        window TEXT NOT NULL DEFAULT '');
    CREATE TABLE domains(
        name TEXT PRIMARY KEY,
        grp TEXT NOT NULL REFERENCES groups(name),
        config TEXT NOT NULL);
    CREATE TABLE enclosures(
        name TEXT PRIMARY KEY,
        domain TEXT NOT NULL REFERENCES domains(name),
        model TEXT NOT NULL,
        bay_count INTEGER NOT NULL);
    CREATE INDEX domains_group ON domains(grp);
    CREATE INDEX enclosures_domain ON enclosures(domain);
    CREATE TABLE bays(
        id TEXT PRIMARY KEY,
        enclosure TEXT NOT NULL REFERENCES enclosures(name),
        number INTEGER NOT NULL,
        model TEXT, generation TEXT, serial TEXT,
        power TEXT NOT NULL CHECK (power IN ('on','off','unknown')),
        health TEXT NOT NULL CHECK (health IN ('ok','warning','critical','unknown')),
        spare INTEGER NOT NULL DEFAULT 0 CHECK (spare IN (0,1)),
        CHECK (spare = 0 OR model IS NOT NULL),
        UNIQUE (enclosure, number));
    CREATE INDEX bays_spare ON bays(spare) WHERE spare = 1;
    CREATE TABLE profiles(
        name TEXT PRIMARY KEY,
        grp TEXT NOT NULL REFERENCES groups(name),
        serial TEXT NOT NULL UNIQUE,
        boot_mode TEXT NOT NULL CHECK (boot_mode IN ('san','local')),
        san_target TEXT, san_lun INTEGER,
        bay TEXT UNIQUE REFERENCES bays(id));
    CREATE TABLE connections(
        profile TEXT NOT NULL REFERENCES profiles(name) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('eth','fc')),
        idx INTEGER NOT NULL,
        address TEXT NOT NULL UNIQUE,
        target TEXT NOT NULL,
        PRIMARY KEY (profile, kind, idx));
    CREATE TABLE excluded_addresses(
        kind TEXT NOT NULL CHECK (kind IN ('mac','wwpn','serial')),
        address TEXT NOT NULL,
        PRIMARY KEY (kind, address));
    CREATE TABLE maintenance(
        domain TEXT PRIMARY KEY REFERENCES domains(name),
        grp TEXT NOT NULL UNIQUE REFERENCES groups(name),
        owner TEXT NOT NULL, reason TEXT NOT NULL,
        started REAL NOT NULL, expires REAL NOT NULL);
    CREATE TABLE jobs(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('running','done','failed')),
        operator TEXT NOT NULL,
        summary TEXT NOT NULL,
        params TEXT NOT NULL,
        created REAL NOT NULL,
        finished REAL,
        pid INTEGER,
        process TEXT);  -- boot id and start time of pid: a reused PID is not the owner
    CREATE INDEX jobs_running ON jobs(state) WHERE state = 'running';
    CREATE TABLE steps(
        job INTEGER NOT NULL REFERENCES jobs(id),
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('running','done','failed')),
        detail TEXT NOT NULL DEFAULT '',
        started REAL NOT NULL,
        finished REAL,
        PRIMARY KEY (job, seq));
    CREATE TABLE locks(
        resource TEXT PRIMARY KEY,
        job INTEGER NOT NULL REFERENCES jobs(id));
    CREATE INDEX locks_job ON locks(job);
    CREATE TABLE events(
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('info','warning','critical')),
        source TEXT NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL,
        operator TEXT NOT NULL, job INTEGER);
    CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER spare_holds_no_profile BEFORE UPDATE OF bay ON profiles
        WHEN NEW.bay IS NOT NULL AND (SELECT spare FROM bays WHERE id = NEW.bay) = 1
        BEGIN SELECT RAISE(ABORT, 'a spare bay cannot hold a profile'); END;
    CREATE TRIGGER profiled_bay_is_no_spare BEFORE UPDATE OF spare ON bays
        WHEN NEW.spare = 1 AND EXISTS (SELECT 1 FROM profiles WHERE bay = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'a bay holding a profile cannot be a spare'); END;
    """,
    # 2: events carry structured fields (bay, old/new health, ...) so nothing parses text
    """
    ALTER TABLE events ADD COLUMN data TEXT NOT NULL DEFAULT '{}';
    """,
    # 3: the change feed. Every write that changes what a reader shows appends (kind, key)
    # with a new revision; triggers do it, so no writer can forget. A bay row shows its
    # profile, its lock holder and its domain's maintenance, so those write 'bay' too.
    """
    CREATE TABLE changes(
        rev INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        key TEXT NOT NULL);
    CREATE TRIGGER feed_bay_insert AFTER INSERT ON bays
        BEGIN INSERT INTO changes(kind, key) VALUES ('bay', NEW.id); END;
    CREATE TRIGGER feed_bay_update AFTER UPDATE ON bays
        BEGIN INSERT INTO changes(kind, key) VALUES ('bay', NEW.id); END;
    CREATE TRIGGER feed_profile_insert AFTER INSERT ON profiles BEGIN
        INSERT INTO changes(kind, key) VALUES ('profile', NEW.name);
        INSERT INTO changes(kind, key) SELECT 'bay', NEW.bay WHERE NEW.bay IS NOT NULL;
    END;
    CREATE TRIGGER feed_profile_update AFTER UPDATE ON profiles BEGIN
        INSERT INTO changes(kind, key) VALUES ('profile', NEW.name);
        INSERT INTO changes(kind, key) SELECT 'bay', OLD.bay WHERE OLD.bay IS NOT NULL;
        INSERT INTO changes(kind, key) SELECT 'bay', NEW.bay
            WHERE NEW.bay IS NOT NULL AND NEW.bay IS NOT OLD.bay;
    END;
    CREATE TRIGGER feed_profile_delete AFTER DELETE ON profiles BEGIN
        INSERT INTO changes(kind, key) VALUES ('profile', OLD.name);
        INSERT INTO changes(kind, key) SELECT 'bay', OLD.bay WHERE OLD.bay IS NOT NULL;
    END;
    CREATE TRIGGER feed_lock_insert AFTER INSERT ON locks BEGIN
        INSERT INTO changes(kind, key) SELECT 'bay', substr(NEW.resource, 5)
            WHERE NEW.resource LIKE 'bay:%';
        INSERT INTO changes(kind, key) SELECT 'profile', substr(NEW.resource, 9)
            WHERE NEW.resource LIKE 'profile:%';
    END;
    CREATE TRIGGER feed_lock_delete AFTER DELETE ON locks BEGIN
        INSERT INTO changes(kind, key) SELECT 'bay', substr(OLD.resource, 5)
            WHERE OLD.resource LIKE 'bay:%';
        INSERT INTO changes(kind, key) SELECT 'profile', substr(OLD.resource, 9)
            WHERE OLD.resource LIKE 'profile:%';
    END;
    CREATE TRIGGER feed_maintenance_insert AFTER INSERT ON maintenance
        BEGIN INSERT INTO changes(kind, key) VALUES ('domain', NEW.domain); END;
    CREATE TRIGGER feed_maintenance_update AFTER UPDATE ON maintenance
        BEGIN INSERT INTO changes(kind, key) VALUES ('domain', NEW.domain); END;
    CREATE TRIGGER feed_maintenance_delete AFTER DELETE ON maintenance
        BEGIN INSERT INTO changes(kind, key) VALUES ('domain', OLD.domain); END;
    CREATE TRIGGER feed_group_insert AFTER INSERT ON groups
        BEGIN INSERT INTO changes(kind, key) VALUES ('group', NEW.name); END;
    CREATE TRIGGER feed_group_update AFTER UPDATE ON groups
        BEGIN INSERT INTO changes(kind, key) VALUES ('group', NEW.name); END;
    CREATE TRIGGER feed_domain_insert AFTER INSERT ON domains
        BEGIN INSERT INTO changes(kind, key) VALUES ('domain', NEW.name); END;
    CREATE TRIGGER feed_domain_update AFTER UPDATE ON domains
        BEGIN INSERT INTO changes(kind, key) VALUES ('domain', NEW.name); END;
    CREATE TRIGGER feed_enclosure_insert AFTER INSERT ON enclosures
        BEGIN INSERT INTO changes(kind, key) VALUES ('enclosure', NEW.name); END;
    CREATE TRIGGER feed_job_insert AFTER INSERT ON jobs
        BEGIN INSERT INTO changes(kind, key) VALUES ('job', NEW.id); END;
    CREATE TRIGGER feed_job_update AFTER UPDATE ON jobs
        BEGIN INSERT INTO changes(kind, key) VALUES ('job', NEW.id); END;
    CREATE TRIGGER feed_step_insert AFTER INSERT ON steps
        BEGIN INSERT INTO changes(kind, key) VALUES ('job', NEW.job); END;
    CREATE TRIGGER feed_step_update AFTER UPDATE ON steps
        BEGIN INSERT INTO changes(kind, key) VALUES ('job', NEW.job); END;
    CREATE TRIGGER feed_event_insert AFTER INSERT ON events
        BEGIN INSERT INTO changes(kind, key) VALUES ('event', NEW.seq); END;
    """,
    # 4: retention. Old events and finished jobs may leave the store only into a recorded
    # archive file (tui/core/archive.py); the register of archives is append-only.
    """
    CREATE TABLE archives(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        file TEXT NOT NULL UNIQUE,
        first_seq INTEGER, last_seq INTEGER,
        first_job INTEGER, last_job INTEGER,
        events INTEGER NOT NULL, jobs INTEGER NOT NULL, records INTEGER NOT NULL,
        prev_hash TEXT NOT NULL, last_hash TEXT NOT NULL, sha256 TEXT NOT NULL,
        operator TEXT NOT NULL, created REAL NOT NULL, job INTEGER,
        CHECK ((first_seq IS NULL) = (last_seq IS NULL)),
        CHECK ((first_job IS NULL) = (last_job IS NULL)));
    CREATE TRIGGER archives_append_only_update BEFORE UPDATE ON archives
        BEGIN SELECT RAISE(ABORT, 'the archive register is append-only'); END;
    CREATE TRIGGER archives_append_only_delete BEFORE DELETE ON archives
        BEGIN SELECT RAISE(ABORT, 'the archive register is append-only'); END;
    DROP TRIGGER events_append_only_delete;
    CREATE TRIGGER events_delete_only_archived BEFORE DELETE ON events
        WHEN OLD.seq > COALESCE((SELECT MAX(last_seq) FROM archives), 0)
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only (except into a recorded archive)'); END;
    CREATE TRIGGER jobs_delete_only_archived BEFORE DELETE ON jobs
        WHEN OLD.state = 'running' OR OLD.id > COALESCE((SELECT MAX(last_job) FROM archives), 0)
        BEGIN SELECT RAISE(ABORT, 'only a finished, archived job can be deleted'); END;
    CREATE TRIGGER steps_delete_only_archived BEFORE DELETE ON steps
        WHEN OLD.job > COALESCE((SELECT MAX(last_job) FROM archives), 0)
          OR (SELECT state FROM jobs WHERE id = OLD.job) = 'running'
        BEGIN SELECT RAISE(ABORT, 'only steps of a finished, archived job can be deleted'); END;
    """,
    # 5: acknowledging a critical bay: who and when, on the bay row, so the change feed's
    # bay trigger carries it to every reader; a bay that turns healthy clears it.
    """
    ALTER TABLE bays ADD COLUMN acked_by TEXT;
    ALTER TABLE bays ADD COLUMN acked_at REAL;
    CREATE TRIGGER bays_ack_clears_when_ok AFTER UPDATE OF health ON bays
        WHEN NEW.health = 'ok' AND NEW.acked_by IS NOT NULL
        BEGIN UPDATE bays SET acked_by = NULL, acked_at = NULL WHERE id = NEW.id; END;
    """,
    # 6: the failure cycle (issue 14). A drained enclosure (its evacuation job's id) takes
    # no profile and gives no spare, except to the job that drained it; a flagged bay (a
    # server changed under a profile) takes none and is no spare until an operator clears
    # it; a profile's home is the bay a failover took it from (failback puts it back), and
    # ``borrowed`` the spare it took (failback gives back that bay, and only that one).
    """
    ALTER TABLE enclosures ADD COLUMN drained_job INTEGER;
    ALTER TABLE bays ADD COLUMN flag TEXT;
    ALTER TABLE profiles ADD COLUMN home TEXT;  -- a bay id (bays are never deleted)
    ALTER TABLE profiles ADD COLUMN borrowed TEXT;  -- a bay id, or NULL: no spare taken
    CREATE INDEX profiles_home ON profiles(home) WHERE home IS NOT NULL;
    CREATE TRIGGER feed_enclosure_drain AFTER UPDATE OF drained_job ON enclosures BEGIN
        INSERT INTO changes(kind, key) SELECT 'bay', id FROM bays WHERE enclosure = NEW.name;
    END;
    CREATE TRIGGER drained_gives_no_spare BEFORE UPDATE OF spare ON bays
        WHEN NEW.spare = 1 AND OLD.spare = 0 AND
             (SELECT drained_job FROM enclosures WHERE name = NEW.enclosure) IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a bay of a drained enclosure cannot become a spare'); END;
    CREATE TRIGGER flagged_gives_no_spare BEFORE UPDATE OF spare ON bays
        WHEN NEW.spare = 1 AND OLD.spare = 0 AND NEW.flag IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a flagged bay cannot become a spare'); END;
    CREATE TRIGGER drained_takes_no_profile BEFORE UPDATE OF bay ON profiles
        WHEN NEW.bay IS NOT NULL AND NEW.bay IS NOT OLD.bay AND EXISTS (
            SELECT 1 FROM bays b JOIN enclosures e ON e.name = b.enclosure
            WHERE b.id = NEW.bay AND e.drained_job IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM locks WHERE resource = 'profile:' || NEW.name
                                      AND job = e.drained_job))
        BEGIN SELECT RAISE(ABORT, 'a drained enclosure takes no profile'); END;
    CREATE TRIGGER flagged_takes_no_profile BEFORE UPDATE OF bay ON profiles
        WHEN NEW.bay IS NOT NULL AND NEW.bay IS NOT OLD.bay
             AND (SELECT flag FROM bays WHERE id = NEW.bay) IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a flagged bay takes no profile until it is cleared'); END;
    """,
    # 7: bearer tokens for remote clients of `bayops serve`: only a SHA-256 of the secret
    # is kept; a token is never edited (revoked at most once) nor deleted (the audit).
    """
    CREATE TABLE tokens(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
        created REAL NOT NULL,
        expires REAL NOT NULL CHECK (expires > created),
        revoked REAL,
        created_by TEXT NOT NULL,
        last_used REAL);
    CREATE TRIGGER tokens_fixed BEFORE UPDATE OF id, user, hash, created, expires, created_by
        ON tokens BEGIN SELECT RAISE(ABORT, 'a token is never edited; revoke it, make another'); END;
    CREATE TRIGGER tokens_revoked_once BEFORE UPDATE OF revoked ON tokens
        WHEN OLD.revoked IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a revoked token stays revoked'); END;
    CREATE TRIGGER tokens_kept BEFORE DELETE ON tokens
        BEGIN SELECT RAISE(ABORT, 'tokens are kept for the audit; revoke instead'); END;
    """,
    # 8: active/standby services (docs/postgresql.md). One leader row: who holds the lease,
    # where clients reach it, its epoch (it only grows) and when it ends (the database's
    # clock). Every job and step write carries the writer's epoch; while a leader holds a
    # live lease, a write with another epoch, or none, is refused: a deposed leader (or a
    # process that is no service) cannot drive a job.
    """
    ALTER TABLE jobs ADD COLUMN epoch INTEGER;
    ALTER TABLE steps ADD COLUMN epoch INTEGER;
    CREATE TABLE leader(
        id INTEGER PRIMARY KEY CHECK (id = 1),
        holder TEXT NOT NULL,
        address TEXT NOT NULL,
        epoch INTEGER NOT NULL CHECK (epoch > 0),
        expires REAL NOT NULL);
    CREATE TRIGGER leader_epoch_grows BEFORE UPDATE OF epoch ON leader
        WHEN NEW.epoch < OLD.epoch
        BEGIN SELECT RAISE(ABORT, 'a lease epoch never goes back'); END;
    CREATE TRIGGER leader_kept BEFORE DELETE ON leader
        BEGIN SELECT RAISE(ABORT, 'the leader row is kept: its epoch must only grow'); END;
    """ + "".join(_fenced(table, event) for table in ("jobs", "steps")
                  for event in ("INSERT", "UPDATE")),
    # 9: failed bearer-token attempts by address, so the services of one site (an
    # active/standby pair) hold an attacker to one limit, not one each. Only the last
    # minute or so is kept: each new failure deletes the ones older than the window.
    """
    CREATE TABLE token_failures(
        address TEXT NOT NULL CHECK (length(address) BETWEEN 1 AND 200),
        at REAL NOT NULL);
    CREATE INDEX token_failures_by_address ON token_failures(address, at);
    """,
    # 10: one runner per job (issue 19). A job records the runner that holds it (a claim:
    # the process, the epoch and this runner's own id); a step is journaled only by that
    # runner, so a stale runner in the very process that took the job back cannot write.
    # An event names its predecessor (the seq written before it, or the last archived),
    # so `events verify` tells ids a sequence skipped (a crash) from an event deleted.
    """
    ALTER TABLE jobs ADD COLUMN runner TEXT;
    ALTER TABLE steps ADD COLUMN runner TEXT;
    ALTER TABLE events ADD COLUMN prev INTEGER;
    CREATE TRIGGER steps_claimed_insert BEFORE INSERT ON steps
        WHEN NEW.runner IS NOT (SELECT runner FROM jobs WHERE id = NEW.job)
        BEGIN SELECT RAISE(ABORT, 'fenced: a step written by a runner that does not hold its job');
        END;
    CREATE TRIGGER steps_claimed_update BEFORE UPDATE ON steps
        WHEN NEW.runner IS NOT (SELECT runner FROM jobs WHERE id = NEW.job)
        BEGIN SELECT RAISE(ABORT, 'fenced: a step written by a runner that does not hold its job');
        END;
    """,
    # 11: domain maintenance (issue 24). The firmware each component of a domain runs, as
    # read back after each stage of an upgrade (not one string per domain); configuration
    # backups: who, when, why, a SHA-256 of what was saved, the domain's configuration and
    # the hardware's own export (credentials never reach either table); the uplink ports
    # seen down. Firmware and ports write the change feed, so the groups pane shows them.
    """
    CREATE TABLE domain_firmware(
        domain TEXT NOT NULL REFERENCES domains(name),
        component TEXT NOT NULL,
        version TEXT NOT NULL,
        read_at REAL NOT NULL,
        PRIMARY KEY (domain, component));
    CREATE TABLE domain_backups(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        domain TEXT NOT NULL REFERENCES domains(name),
        taken REAL NOT NULL,
        operator TEXT NOT NULL,
        reason TEXT NOT NULL,
        hash TEXT NOT NULL CHECK (length(hash) = 64),
        config TEXT NOT NULL,
        payload TEXT NOT NULL,
        job INTEGER);
    CREATE INDEX domain_backups_by_domain ON domain_backups(domain, id);
    CREATE TABLE domain_ports_down(
        domain TEXT NOT NULL REFERENCES domains(name),
        port TEXT NOT NULL,
        since REAL NOT NULL,
        PRIMARY KEY (domain, port));
    CREATE TRIGGER feed_domain_firmware_insert AFTER INSERT ON domain_firmware
        BEGIN INSERT INTO changes(kind, key) VALUES ('domain', NEW.domain); END;
    CREATE TRIGGER feed_domain_firmware_update AFTER UPDATE ON domain_firmware
        BEGIN INSERT INTO changes(kind, key) VALUES ('domain', NEW.domain); END;
    CREATE TRIGGER feed_domain_port_insert AFTER INSERT ON domain_ports_down
        BEGIN INSERT INTO changes(kind, key) VALUES ('domain', NEW.domain); END;
    CREATE TRIGGER feed_domain_port_delete AFTER DELETE ON domain_ports_down
        BEGIN INSERT INTO changes(kind, key) VALUES ('domain', OLD.domain); END;
    """,
    # 12: journal steps as structure, not text (issue 20). ``key``: what a resumed job
    # matches a step by, apart from its words (``name``); NULL in an older journal, whose
    # name was its key. ``stopped``: a failed step that did not fail by itself, its
    # process having ended while it ran (interrupted) or it never having run (skipped);
    # before, only its detail's words said so.
    """
    ALTER TABLE steps ADD COLUMN key TEXT;
    ALTER TABLE steps ADD COLUMN stopped TEXT CHECK (stopped IN ('interrupted', 'skipped'));
    """,
    # 13: a bay's story (issue 21). The latest operator note on the bay row, so the bay
    # trigger carries it to every reader (each note is also a bay.note event: the history);
    # when each operator last looked at the hand-over, so the next one starts there.
    """
    ALTER TABLE bays ADD COLUMN note TEXT;
    ALTER TABLE bays ADD COLUMN note_by TEXT;
    ALTER TABLE bays ADD COLUMN note_at REAL;
    CREATE TABLE looked(
        operator TEXT PRIMARY KEY,
        at REAL NOT NULL);
    """,
    # 14: the invariant triggers described once (invariants.py) and made anew from that
    # description, the same triggers on both stores; what each refuses is unchanged.
    rerender("sqlite"),
    # 15: a job holding a domain (complete, firmware upgrade, restore, domain set) keeps
    # that domain's spares from taking a profile (``Bay.domain_job``), so taking or
    # releasing the domain changes what its bays show: the feed says 'domain' then.
    """
    CREATE TRIGGER feed_domain_lock_insert AFTER INSERT ON locks
        WHEN NEW.resource LIKE 'domain:%'
        BEGIN INSERT INTO changes(kind, key) VALUES ('domain', substr(NEW.resource, 8)); END;
    CREATE TRIGGER feed_domain_lock_delete AFTER DELETE ON locks
        WHEN OLD.resource LIKE 'domain:%'
        BEGIN INSERT INTO changes(kind, key) VALUES ('domain', substr(OLD.resource, 8)); END;
    """,
]


def statements(script: str) -> Iterator[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    buffer = ""
    for line in script.strip().splitlines():
        buffer += line + "\n"
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL in migration: {quoted(buffer[:60])}")
