-- 6.3: an agency's answer counts by when it was sent (answered_at), not by when this service
-- read it (received_at). What the answer did is kept beside it: weighed by the assessment,
-- revised what a forum not yet decided weighs, or joined to the case after the decision for
-- a person to review. Older rows answered while the assessment waited read as that.
ALTER TABLE consultations
    ADD COLUMN received_at   timestamptz,
    ADD COLUMN answer_effect text
        CHECK (answer_effect IN ('awaits-assessment', 'revises-assessment', 'after-decision'));
