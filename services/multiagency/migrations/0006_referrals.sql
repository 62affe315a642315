-- Referrals of immediate or imminent risk to the area's children's social care (2.7, 5.1.11):
-- sent at once when a safeguarding escalation is raised, acknowledged by the agency, chased
-- when the acknowledgement is late. Grounds and children travel in the message, not here.
CREATE TABLE referrals (
    tenant          text        NOT NULL,
    referral_id     uuid        NOT NULL,
    case_reference  text        NOT NULL,
    agency          text        NOT NULL,
    risk            text        NOT NULL CHECK (risk IN ('immediate', 'imminent')),
    section_47      boolean     NOT NULL,
    referred_at     timestamptz NOT NULL,
    acknowledge_by  timestamptz NOT NULL,
    acknowledged_at timestamptz,
    response        text,
    overdue_at      timestamptz,
    PRIMARY KEY (tenant, referral_id)
);

CREATE INDEX referrals_by_case ON referrals (tenant, case_reference);
CREATE INDEX referrals_waiting ON referrals (tenant, acknowledge_by)
    WHERE acknowledged_at IS NULL AND overdue_at IS NULL;
