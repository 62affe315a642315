-- Answers a national system gave after its stage's checks were completed without it (5.4.4).
-- One row per stage, system and party, as the checks service reports each once: weighed by
-- the assessment still to be completed, weighed again for a forum not yet decided, or kept
-- on the record after the decision (6.2).

CREATE TABLE late_answers (
    tenant              text        NOT NULL,
    case_reference      text        NOT NULL,
    stage               text        NOT NULL,
    system              text        NOT NULL,
    party               text        NOT NULL,
    result              jsonb       NOT NULL,
    concerns            text[]      NOT NULL DEFAULT '{}',
    answered_at         timestamptz NOT NULL,
    checks_completed_at timestamptz NOT NULL,
    recorded_at         timestamptz NOT NULL,
    effect              text        NOT NULL
        CHECK (effect IN ('awaits-assessment', 'revises-assessment', 'after-decision')),
    PRIMARY KEY (tenant, case_reference, stage, system, party)
);

-- When a forum's assessment was last revised with late answers.
ALTER TABLE assessments ADD COLUMN revised_at timestamptz;
