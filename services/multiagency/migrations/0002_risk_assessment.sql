-- The full risk assessment, consultations, forums and handoffs (4.9-4.10, 5.4-5.6.27).
-- Every row belongs to one force; a handoff is two rows, one in each force's name.

-- A case as this force's multi-agency service knows it: one it owns (the application was
-- made here, 4.9) or one handed to it for a party who lives here (4.10). Only what the
-- assessment needs is kept: never the applicant's contact arrangements.
CREATE TABLE cases (
    tenant                     text        NOT NULL,
    case_reference             text        NOT NULL,
    role                       text        NOT NULL CHECK (role IN ('owning', 'responding')),
    correlation_id             uuid        NOT NULL,
    state                      text        NOT NULL DEFAULT 'open',
    consent_to_share           boolean,
    behaviour_of_concern       boolean     NOT NULL DEFAULT false,
    subject                    jsonb,
    children                   jsonb       NOT NULL DEFAULT '[]',
    enquiry_at                 timestamptz,
    application_at             timestamptz,
    risk_assessment_due_at     timestamptz,
    closure_due_at             timestamptz,
    checks_stage               text,
    checks_results             jsonb,
    checks_completed_at        timestamptz,
    checks_requested_at        timestamptz,
    assessment_started_at      timestamptz,
    owning_force               text,
    owning_case_reference      text,
    handoff_id                 uuid,
    respond_by                 timestamptz,
    PRIMARY KEY (tenant, case_reference)
);

-- Numbers of the cases a force opens when it responds to a handoff.
CREATE TABLE case_numbers (
    tenant      text    NOT NULL,
    year        integer NOT NULL,
    last_number integer NOT NULL,
    PRIMARY KEY (tenant, year)
);

-- The skeleton's assessments become the record of each completed risk assessment.
ALTER TABLE assessments ADD COLUMN categories text[] NOT NULL DEFAULT '{}';
ALTER TABLE assessments ADD COLUMN meets_mappa boolean NOT NULL DEFAULT false;
ALTER TABLE assessments ADD COLUMN decision text;

CREATE TABLE consultations (
    tenant                  text        NOT NULL,
    consultation_id         uuid        NOT NULL,
    case_reference          text        NOT NULL,
    agency                  text        NOT NULL,
    agency_kind             text        NOT NULL,
    lawful_basis            text        NOT NULL,
    necessity_reason        text,
    status                  text        NOT NULL CHECK (status IN ('requested', 'answered', 'overdue')),
    requested_at            timestamptz NOT NULL,
    respond_by              timestamptz NOT NULL,
    remind_at               timestamptz NOT NULL,
    reminded_at             timestamptz,
    overdue_at              timestamptz,
    request_message_id      uuid        NOT NULL,
    outcome                 text,
    information             text,
    child_protection_plan   boolean,
    supervised_by_probation boolean,
    mappa_level             integer,
    answered_at             timestamptz,
    PRIMARY KEY (tenant, consultation_id)
);

CREATE INDEX consultations_waiting ON consultations (tenant, remind_at, respond_by)
    WHERE status = 'requested';

CREATE TABLE handoffs (
    tenant                    text        NOT NULL,
    handoff_id                uuid        NOT NULL,
    role                      text        NOT NULL CHECK (role IN ('owning', 'responding')),
    case_reference            text        NOT NULL,
    owning_force              text        NOT NULL,
    responding_force          text        NOT NULL,
    owning_case_reference     text        NOT NULL,
    responding_case_reference text,
    party                     text        NOT NULL,
    actions                   text[]      NOT NULL,
    status                    text        NOT NULL,
    requested_at              timestamptz NOT NULL,
    respond_by                timestamptz NOT NULL,
    closure_due_at            timestamptz NOT NULL,
    request_message_id        uuid        NOT NULL,
    settled_at                timestamptz,
    declined_reason           text,
    returned                  jsonb,
    PRIMARY KEY (tenant, handoff_id)
);

CREATE TABLE forums (
    tenant                text        NOT NULL,
    case_reference        text        NOT NULL,
    forum_id              uuid        NOT NULL,
    forum                 text        NOT NULL,
    scheduled_for         timestamptz NOT NULL,
    urgent                boolean     NOT NULL DEFAULT false,
    urgency_justification text,
    exception_reason      text,
    scheduled_at          timestamptz NOT NULL,
    decided_at            timestamptz,
    route                 text,
    recommend_disclosure  boolean,
    rationale             text,
    attendance            jsonb,
    positions             jsonb,
    information_shared    text,
    PRIMARY KEY (tenant, case_reference),
    UNIQUE (tenant, forum_id)
);
