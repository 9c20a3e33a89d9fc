"""The database schema, as numbered migrations: each is applied once, in order, in its own
transaction, and recorded in ``schema_migrations`` (see :meth:`Store.migrate
<metrics.store.connection.Store.migrate>`). A migration is never edited once released; a
change of schema is a new one at the end."""

from __future__ import annotations

import re

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "submissions, findings, observations, commentary, indicator values, audit log",
        """
        CREATE SEQUENCE submission_ids START 1;
        CREATE SEQUENCE audit_ids START 1;
        CREATE TABLE submissions (
            id INTEGER NOT NULL DEFAULT nextval('submission_ids'),
            group_code VARCHAR NOT NULL,
            period VARCHAR NOT NULL,
            version INTEGER,
            status VARCHAR NOT NULL CHECK (status IN ('accepted', 'superseded', 'rejected')),
            submitted_by VARCHAR NOT NULL,
            submitted_at TIMESTAMP NOT NULL,
            file_name VARCHAR,
            sha256 VARCHAR NOT NULL,
            rows INTEGER,
            errors INTEGER NOT NULL,
            warnings INTEGER NOT NULL,
            contents_withheld BOOLEAN NOT NULL DEFAULT FALSE,
            supersedes INTEGER
        );
        CREATE TABLE findings (
            submission_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            rule VARCHAR NOT NULL,
            severity VARCHAR NOT NULL,
            row_number INTEGER,
            column_name VARCHAR,
            value VARCHAR,
            message VARCHAR NOT NULL,
            explanation VARCHAR,
            subject VARCHAR
        );
        CREATE TABLE observations (
            submission_id INTEGER NOT NULL,
            source_row INTEGER,
            indicator_code VARCHAR NOT NULL,
            period VARCHAR NOT NULL,
            area_code VARCHAR NOT NULL,
            breakdown VARCHAR NOT NULL,
            numerator DOUBLE,
            denominator DOUBLE,
            value DOUBLE,
            sd DOUBLE
        );
        CREATE TABLE commentary (
            submission_id INTEGER NOT NULL,
            indicator_code VARCHAR NOT NULL,
            period VARCHAR NOT NULL,
            text VARCHAR NOT NULL
        );
        CREATE TABLE indicator_values (
            indicator_code VARCHAR NOT NULL,
            period VARCHAR NOT NULL,
            area_code VARCHAR NOT NULL,
            breakdown VARCHAR NOT NULL,
            numerator DOUBLE,
            denominator DOUBLE,
            value DOUBLE,
            sd DOUBLE,
            lower_95 DOUBLE,
            upper_95 DOUBLE,
            lower_998 DOUBLE,
            upper_998 DOUBLE,
            target DOUBLE,
            amber_tolerance DOUBLE,
            rag VARCHAR,
            previous_value DOUBLE,
            change_previous DOUBLE,
            year_ago_value DOUBLE,
            change_year DOUBLE,
            suppressed BOOLEAN,
            derived BOOLEAN,
            period_order INTEGER,
            submission_id BIGINT
        );
        CREATE TABLE audit_log (
            id BIGINT NOT NULL DEFAULT nextval('audit_ids'),
            logged_at TIMESTAMP NOT NULL,
            actor VARCHAR NOT NULL,
            action VARCHAR NOT NULL,
            submission_id INTEGER,
            detail VARCHAR
        );
        CREATE VIEW current_observations AS
            SELECT o.*, s.group_code, s.period AS return_period
            FROM observations o JOIN submissions s ON s.id = o.submission_id
            WHERE s.status = 'accepted';
        """,
    ),
]


MIGRATIONS.append(
    (
        2,
        "published benchmark values and statistical neighbours",
        """
    CREATE TABLE published_values (
        indicator_code VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        time_period VARCHAR NOT NULL,
        level VARCHAR NOT NULL,
        area_code VARCHAR,
        old_la_code VARCHAR,
        area_name VARCHAR,
        value DOUBLE,
        numerator DOUBLE,
        denominator DOUBLE,
        symbol VARCHAR,
        source VARCHAR NOT NULL
    );
    CREATE TABLE neighbours (
        old_la_code VARCHAR NOT NULL,
        rank INTEGER NOT NULL,
        neighbour_old_la_code VARCHAR NOT NULL,
        source VARCHAR NOT NULL
    );
    """,
    )
)


MIGRATIONS.append(
    (
        3,
        "people and their roles; facts about this database (a demo or not)",
        """
    CREATE TABLE users (
        id VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL,
        email VARCHAR,
        roles VARCHAR[] NOT NULL,
        groups VARCHAR[] NOT NULL,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL
    );
    CREATE TABLE store_info (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
    -- a database built by an earlier 'outcomes demo' says so in its audit log
    INSERT INTO store_info
        SELECT 'demo', 'true' WHERE EXISTS (
            SELECT 1 FROM audit_log WHERE action = 'demo built' AND actor = 'demo');
    """,
    )
)


MIGRATIONS.append(
    (
        4,
        "the accountability cycle: meetings, challenges, actions and each one's log",
        """
    CREATE SEQUENCE meeting_ids START 1;
    CREATE SEQUENCE challenge_ids START 1;
    CREATE SEQUENCE action_ids START 1;
    CREATE SEQUENCE item_event_ids START 1;
    CREATE TABLE meetings (
        id INTEGER PRIMARY KEY DEFAULT nextval('meeting_ids'),
        held_on DATE NOT NULL,
        kind VARCHAR NOT NULL CHECK (kind IN
            ('plan agreement', 'mid-year review', 'year-end sign-off', 'ordinary')),
        title VARCHAR NOT NULL,
        reports_to VARCHAR[] NOT NULL,
        cut_off TIMESTAMP NOT NULL,
        created_by VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL
    );
    CREATE TABLE challenges (
        id INTEGER PRIMARY KEY DEFAULT nextval('challenge_ids'),
        reference VARCHAR NOT NULL UNIQUE,
        group_code VARCHAR NOT NULL,
        indicator_code VARCHAR,
        priority_code VARCHAR,
        question VARCHAR NOT NULL,
        owner VARCHAR NOT NULL,
        due_on DATE NOT NULL,
        status VARCHAR NOT NULL CHECK (status IN ('open', 'answered', 'resolved')),
        answer VARCHAR,
        raised_by VARCHAR NOT NULL,
        raised_at TIMESTAMP NOT NULL
    );
    CREATE TABLE actions (
        id INTEGER PRIMARY KEY DEFAULT nextval('action_ids'),
        reference VARCHAR NOT NULL UNIQUE,
        title VARCHAR NOT NULL,
        owner VARCHAR NOT NULL,
        group_code VARCHAR NOT NULL,
        indicator_code VARCHAR,
        challenge VARCHAR,
        starts_on DATE NOT NULL,
        due_on DATE NOT NULL,
        status VARCHAR NOT NULL CHECK (status IN
            ('not started', 'on track', 'at risk', 'off track', 'done', 'dropped')),
        recorded_by VARCHAR NOT NULL,
        recorded_at TIMESTAMP NOT NULL
    );
    CREATE TABLE item_events (
        id BIGINT PRIMARY KEY DEFAULT nextval('item_event_ids'),
        reference VARCHAR NOT NULL,
        changed_at TIMESTAMP NOT NULL,
        actor VARCHAR NOT NULL,
        actor_name VARCHAR NOT NULL,
        change VARCHAR NOT NULL,
        detail VARCHAR NOT NULL
    );
    """,
    )
)


MIGRATIONS.append(
    (
        5,
        "the board's decisions on its exception list",
        """
    CREATE SEQUENCE exception_decision_ids START 1;
    CREATE TABLE exception_decisions (
        id INTEGER PRIMARY KEY DEFAULT nextval('exception_decision_ids'),
        period VARCHAR NOT NULL,
        indicator_code VARCHAR NOT NULL,
        decision VARCHAR NOT NULL CHECK (decision IN ('include', 'exclude')),
        reason VARCHAR NOT NULL,
        decided_by VARCHAR NOT NULL,
        decided_at TIMESTAMP NOT NULL
    );
    """,
    )
)


MIGRATIONS.append(
    (
        6,
        "deep dives: a topic, its audience and the narrative, saved to be made again",
        """
    CREATE SEQUENCE deep_dive_ids START 1;
    CREATE TABLE deep_dives (
        id INTEGER PRIMARY KEY DEFAULT nextval('deep_dive_ids'),
        title VARCHAR NOT NULL,
        audience VARCHAR NOT NULL,
        indicators VARCHAR[] NOT NULL,
        priority VARCHAR,
        areas VARCHAR[] NOT NULL,
        breakdowns VARCHAR[] NOT NULL,
        narrative VARCHAR NOT NULL,
        created_by VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL
    );
    """,
    )
)


MIGRATIONS.append(
    (
        7,
        "commentary in parts: what the figures show, the story behind the curve, partners, "
        "what works, actions planned",
        """
    ALTER TABLE commentary ADD COLUMN part VARCHAR DEFAULT 'commentary';
    UPDATE commentary SET part = 'commentary' WHERE part IS NULL;
    """,
    )
)


MIGRATIONS.append(
    (
        8,
        "a delivery group's own forecast for an indicator, with its reason",
        """
    CREATE SEQUENCE group_forecast_ids START 1;
    CREATE TABLE group_forecasts (
        id INTEGER PRIMARY KEY DEFAULT nextval('group_forecast_ids'),
        indicator_code VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        value DOUBLE NOT NULL,
        reason VARCHAR NOT NULL,
        set_by VARCHAR NOT NULL,
        set_at TIMESTAMP NOT NULL
    );
    """,
    )
)


AUDIT_CHAIN_VERSION = 9
"""The schema version from which the audit log has its hash chain column."""

MIGRATIONS.append(
    (
        AUDIT_CHAIN_VERSION,
        "the audit log's hash chain (tamper evidence)",
        """
    ALTER TABLE audit_log ADD COLUMN chain VARCHAR;
    """,
    )
)

MIGRATIONS.append(
    (
        10,
        "challenges and actions the board has made public (shown in the public view)",
        """
    ALTER TABLE challenges ADD COLUMN public BOOLEAN DEFAULT false;
    UPDATE challenges SET public = false;
    ALTER TABLE actions ADD COLUMN public BOOLEAN DEFAULT false;
    UPDATE actions SET public = false;
    """,
    )
)

MIGRATIONS.append(
    (
        11,
        "reminders sent by email: each one once to each person (what it is about, to whom, "
        "when, and whether it went)",
        """
    CREATE TABLE reminders (
        key VARCHAR NOT NULL,
        recipient VARCHAR NOT NULL,
        subject VARCHAR NOT NULL,
        state VARCHAR NOT NULL CHECK (state IN ('sending', 'sent')),
        claimed_at TIMESTAMP NOT NULL,
        sent_at TIMESTAMP,
        PRIMARY KEY (key, recipient)
    );
    """,
    )
)

MIGRATIONS.append(
    (
        12,
        "invitations by email: a role (and group) an admin gives someone before their first "
        "sign-in, taken up when they sign in with that verified email address",
        """
    CREATE TABLE invitations (
        email VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        group_code VARCHAR,
        invited_by VARCHAR NOT NULL,
        invited_at TIMESTAMP NOT NULL,
        accepted_by VARCHAR,
        accepted_at TIMESTAMP
    );
    """,
    )
)


def _sequences() -> dict[str, str]:
    """Each sequence and the table whose ``id`` it numbers (from the migrations)."""
    found: dict[str, str] = {}
    for _version, _description, sql in MIGRATIONS:
        for table, body in re.findall(r"CREATE TABLE (\w+) \((.*?)\n\s*\);", sql, re.DOTALL):
            numbered = re.search(r"\bid \w+ .*?DEFAULT nextval\('(\w+)'\)", body)
            if numbered:
                found[numbered.group(1)] = table
    return found


SEQUENCES = _sequences()
"""Sequence name to the table it numbers: a copy of the tables carries the numbers on."""


APPENDED_BY = {
    "audit_log": "id",
    "findings": "submission_id",
    "observations": "submission_id",
    "commentary": "submission_id",
}
"""Tables that grow with history and whose rows a write adds under a key greater than any
before it (a new audit entry's number; a new submission's number, for its findings,
observations and commentary): a copy of one needs only the rows after the last it holds.
Writes take their turns, so keys are given in the order writes commit."""
