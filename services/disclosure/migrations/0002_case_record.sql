-- The disclosure record of a case: what the decision and delivery roles need, nothing else.

ALTER TABLE outcomes RENAME TO cases;
ALTER TABLE cases
    ALTER COLUMN route DROP NOT NULL,
    ALTER COLUMN received_at DROP NOT NULL,
    ADD COLUMN status               text        NOT NULL DEFAULT 'awaiting-forum',
    ADD COLUMN recommend_disclosure boolean,
    ADD COLUMN identity_verified    boolean,
    ADD COLUMN applicant            jsonb,
    ADD COLUMN subject              jsonb,
    ADD COLUMN findings             jsonb       NOT NULL DEFAULT '[]',
    ADD COLUMN decision             jsonb,
    ADD COLUMN decided_at           timestamptz,
    ADD COLUMN disclosed            boolean     NOT NULL DEFAULT false,
    ADD COLUMN extent               text,
    ADD COLUMN delivered_at         timestamptz,
    ADD COLUMN non_disclosure       jsonb,
    ADD COLUMN protective_actions   integer     NOT NULL DEFAULT 0,
    ADD COLUMN correlation_id       uuid,
    ADD COLUMN last_event_id        uuid;
