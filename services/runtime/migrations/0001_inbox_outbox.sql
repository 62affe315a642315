-- The delivery machinery every service has in its own schema (architecture §4).

-- What a consumer has already applied: a duplicate delivery finds its row and does nothing.
CREATE TABLE inbox (
    consumer    text        NOT NULL,
    source      text        NOT NULL,
    message_id  text        NOT NULL,
    tenant      text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, source, message_id)
);

-- What a transaction emits, published by the relay after commit and marked sent after the
-- broker acknowledges. Rows are claimed with SKIP LOCKED, never by a "highest id seen" cursor.
CREATE TABLE outbox (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant        text        NOT NULL,
    topic         text        NOT NULL,
    key           bytea,
    header_names  text[]      NOT NULL,
    header_values bytea[]     NOT NULL,
    payload       bytea       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz
);

CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;
