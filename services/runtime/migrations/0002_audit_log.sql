-- The append-only audit log of architecture §5: every consultation, disclosure,
-- combination, alteration and erasure of personal data, hash-chained per tenant.

CREATE TABLE audit_heads (
    tenant     text    PRIMARY KEY,
    last_seq   bigint  NOT NULL,
    last_hash  text    NOT NULL
);

CREATE TABLE audit_log (
    tenant      text        NOT NULL,
    seq         bigint      NOT NULL,
    at          timestamptz NOT NULL,
    actor       text        NOT NULL,
    action      text        NOT NULL,
    case_ref    text,
    recipients  text[]      NOT NULL,
    reason      text        NOT NULL,
    prev_hash   text        NOT NULL,
    hash        text        NOT NULL,
    PRIMARY KEY (tenant, seq)
);
