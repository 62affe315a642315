-- Cases registered at the initial contact (stage 1, circular 5.1).

CREATE TABLE case_numbers (
    tenant      text    NOT NULL,
    year        integer NOT NULL,
    last_number integer NOT NULL,
    PRIMARY KEY (tenant, year)
);

CREATE TABLE enquiries (
    tenant                 text        NOT NULL,
    case_reference         text        NOT NULL,
    submission_id          text        NOT NULL,
    channel                text        NOT NULL,
    scheme_profile         text        NOT NULL,
    received_at            timestamptz NOT NULL,
    registered_at          timestamptz NOT NULL,
    stage1_due_at          timestamptz NOT NULL,
    risk_assessment_due_at timestamptz NOT NULL,
    closure_due_at         timestamptz NOT NULL,
    PRIMARY KEY (tenant, case_reference),
    UNIQUE (tenant, submission_id)
);
