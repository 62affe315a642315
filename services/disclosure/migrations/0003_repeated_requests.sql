-- INI's flags on subjects with several disclosure requests on record (6.1): one row per
-- subject, the latest list INI sent, and this force's own cases among them.

CREATE TABLE repeated_requests (
    tenant             text        NOT NULL,
    subject_reference  text        NOT NULL,
    case_reference     text        NOT NULL,
    own_cases          text[]      NOT NULL,
    requests           jsonb       NOT NULL,
    forces             integer     NOT NULL,
    flagged_at         timestamptz NOT NULL,
    PRIMARY KEY (tenant, subject_reference)
);

CREATE INDEX repeated_requests_own_cases ON repeated_requests USING gin (own_cases);
