-- Each query to each system for each party, the particulars the queries are built from, and
-- what each request needs to complete: when its wait ends and the message that asked.

ALTER TABLE check_requests
    ADD COLUMN request_id     uuid,
    ADD COLUMN correlation_id uuid,
    ADD COLUMN request_source text,
    ADD COLUMN due_at         timestamptz,
    ADD COLUMN systems        text[]  NOT NULL DEFAULT '{}',
    ADD COLUMN partial        boolean NOT NULL DEFAULT false;

CREATE INDEX check_requests_waiting ON check_requests (tenant, due_at) WHERE completed_at IS NULL;

-- One row per (stage, system, party). The answer is matched by query_id; a retry re-sends
-- the same query_id, so a late or repeated answer finds its row.
CREATE TABLE check_queries (
    tenant           text        NOT NULL,
    query_id         uuid        NOT NULL,
    case_reference   text        NOT NULL,
    stage            text        NOT NULL,
    system           text        NOT NULL,
    party            text        NOT NULL,
    system_tenant    text        NOT NULL,
    status           text        NOT NULL,
    attempts         integer     NOT NULL DEFAULT 0,
    sent_at          timestamptz,
    next_attempt_at  timestamptz,
    answered_at      timestamptz,
    late             boolean     NOT NULL DEFAULT false,
    result           jsonb,
    PRIMARY KEY (tenant, query_id),
    UNIQUE (tenant, case_reference, stage, system, party)
);

CREATE INDEX check_queries_retry ON check_queries (tenant, next_attempt_at) WHERE status = 'sent';

-- What intake has told us of each party (5.2.5: partial, perhaps false): personal data.
CREATE TABLE case_particulars (
    tenant          text        NOT NULL,
    case_reference  text        NOT NULL,
    party           text        NOT NULL,
    particulars     jsonb       NOT NULL,
    source          text        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant, case_reference, party)
);

-- Which of intake's events about a case have arrived, and whether either disclosed
-- concerning behaviour (5.5.3 (iv)).
CREATE TABLE case_sources (
    tenant                text        NOT NULL,
    case_reference        text        NOT NULL,
    source                text        NOT NULL,
    concerning_behaviour  boolean     NOT NULL,
    received_at           timestamptz NOT NULL,
    PRIMARY KEY (tenant, case_reference, source)
);
