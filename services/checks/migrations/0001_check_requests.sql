-- The checks asked for, per case and stage, and when they completed.

CREATE TABLE check_requests (
    tenant          text        NOT NULL,
    case_reference  text        NOT NULL,
    stage           text        NOT NULL,
    parties         text[]      NOT NULL,
    requested_at    timestamptz NOT NULL,
    completed_at    timestamptz,
    systems_checked text[]      NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant, case_reference, stage)
);
