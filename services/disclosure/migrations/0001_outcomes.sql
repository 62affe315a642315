-- Each case's route into stage 6, and its closure with the final intelligence report (6.1).

CREATE TABLE outcomes (
    tenant                    text        NOT NULL,
    case_reference            text        NOT NULL,
    route                     text        NOT NULL,
    received_at               timestamptz NOT NULL,
    outcome                   text,
    final_intelligence_report text,
    closed_at                 timestamptz,
    PRIMARY KEY (tenant, case_reference)
);
