-- Stages 1 to 3 in full: every initial contact is recorded, whichever route it takes (4.1);
-- only registered enquiries carry deadlines; the application and the pack follow.

ALTER TABLE enquiries
    ALTER COLUMN submission_id DROP NOT NULL,
    ALTER COLUMN stage1_due_at DROP NOT NULL,
    ALTER COLUMN risk_assessment_due_at DROP NOT NULL,
    ALTER COLUMN closure_due_at DROP NOT NULL,
    ADD COLUMN status                  text        NOT NULL DEFAULT 'registered',
    ADD COLUMN face_to_face_due_at     timestamptz,
    ADD COLUMN correlation_id          uuid,
    ADD COLUMN last_event_id           uuid,
    ADD COLUMN initial_contact         jsonb,
    ADD COLUMN application             jsonb,
    ADD COLUMN identity_verified       boolean,
    ADD COLUMN application_recorded_at timestamptz,
    ADD COLUMN pack_given_at           timestamptz,
    ADD COLUMN pack_format             text,
    ADD COLUMN escalations             integer     NOT NULL DEFAULT 0;
