-- The ops read model (architecture §2, §6): per case its stage, its three clocks and
-- its history, projected from the force's streams. Every update is order-independent
-- (LEAST, GREATEST, sums), because each stream has its own consumer and a rebuild reads the
-- topics in another interleaving than the live consumers did: both must end equal.

CREATE TABLE cases (
    tenant              text        NOT NULL,
    case_reference      text        NOT NULL,
    correlation_id      uuid,
    stage_rank          integer     NOT NULL DEFAULT 0,
    scheme_profile      text,
    channel             text,
    contact_at          timestamptz,  -- the initial contact (5.1), whichever way it ended
    applied_at          timestamptz,  -- the face-to-face application (5.2)
    pack_given_at       timestamptz,  -- the information pack (5.3)
    assessed_at         timestamptz,  -- the full risk assessment completed (5.4.7)
    decided_at          timestamptz,  -- the forum's or the disclosure decision (5.5, 5.6)
    disclosed_at        timestamptz,  -- a disclosure delivered in person (5.6.21)
    closed_at           timestamptz,  -- closure and the final intelligence report (6.1)
    ended_at            timestamptz,  -- closed, redirected (3.7) or made intelligence (5.2.5)
    outcome             text,
    registered_offender boolean     NOT NULL DEFAULT false,
    escalations         integer     NOT NULL DEFAULT 0,
    events              integer     NOT NULL DEFAULT 0,
    last_event_at       timestamptz,
    PRIMARY KEY (tenant, case_reference)
);

CREATE TABLE deadlines (
    tenant            text        NOT NULL,
    case_reference    text        NOT NULL,
    deadline          text        NOT NULL,
    registered_due_at timestamptz,          -- from the case's scheme profile at registration
    moved_due_at      timestamptz,          -- the latest justified deviation (5.4.8)
    moved_at          timestamptz,
    deviations        integer     NOT NULL DEFAULT 0,
    met_at            timestamptz,          -- when the stage the clock measures was reached
    warned_due_at     timestamptz,          -- the latest due date a warning was raised for
    warnings          integer     NOT NULL DEFAULT 0,
    breached_due_at   timestamptz,          -- the latest due date a breach was raised for
    breached_at       timestamptz,
    breaches          integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, case_reference, deadline)
);

CREATE INDEX deadlines_open ON deadlines (tenant, deadline) WHERE met_at IS NULL;

-- What happened to a case, one row per message, in words that carry no personal data.
CREATE TABLE case_history (
    tenant         text        NOT NULL,
    message_id     uuid        NOT NULL,
    case_reference text        NOT NULL,
    type           text        NOT NULL,
    occurred_at    timestamptz NOT NULL,
    note           text        NOT NULL,
    PRIMARY KEY (tenant, message_id)
);

CREATE INDEX case_history_by_case ON case_history (tenant, case_reference, occurred_at);

-- Immediate or imminent risk (2.7): shown at once, never waiting for a clock.
CREATE TABLE escalations (
    tenant         text        NOT NULL,
    message_id     uuid        NOT NULL,
    case_reference text        NOT NULL,
    stage          text        NOT NULL,
    risk           text        NOT NULL,
    section_47     boolean     NOT NULL,
    raised_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant, message_id)
);
