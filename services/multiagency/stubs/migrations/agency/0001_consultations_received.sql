-- What every stand-in agency keeps of the consultations it was asked, and its answers.
-- IF NOT EXISTS: each stand-in's first migration made this table before it was shared.

CREATE TABLE IF NOT EXISTS consultations_received (
    tenant          text        NOT NULL,
    consultation_id uuid        NOT NULL,
    asking_force    text        NOT NULL,
    case_reference  text        NOT NULL,
    received_at     timestamptz NOT NULL,
    respond_by      timestamptz NOT NULL,
    silent          boolean     NOT NULL,
    answer          jsonb       NOT NULL,
    answered_at     timestamptz,
    PRIMARY KEY (tenant, consultation_id)
);
