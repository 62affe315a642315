-- The route each case's risk assessment and forum reached (stages 4 and 5).

CREATE TABLE assessments (
    tenant         text        NOT NULL,
    case_reference text        NOT NULL,
    forum          text        NOT NULL,
    route          text        NOT NULL,
    rationale      text        NOT NULL,
    decided_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant, case_reference)
);
