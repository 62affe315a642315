-- INI's index of the final intelligence reports it keeps (6.1): which force asked about which
-- subject, in which case, and how it ended, so several requests about one subject are seen
-- together and every force that made one can be told.

CREATE TABLE final_reports (
    tenant            text        NOT NULL,
    report_reference  text        NOT NULL,
    nominal_id        bigint      NOT NULL,
    force             text        NOT NULL,
    case_reference    text        NOT NULL,
    outcome           text        NOT NULL,
    closed_at         timestamptz NOT NULL,
    received          bigint      GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (tenant, report_reference)
);

CREATE INDEX final_reports_subject ON final_reports (tenant, nominal_id, closed_at, received);
