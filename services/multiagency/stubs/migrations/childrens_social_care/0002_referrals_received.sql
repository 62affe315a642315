-- Referrals of immediate risk the stand-in children's social care received from forces
-- (2.7, 5.1.11), what it does with each, and when it acknowledged it.
CREATE TABLE referrals_received (
    tenant          text        NOT NULL,
    referral_id     uuid        NOT NULL,
    referring_force text        NOT NULL,
    case_reference  text        NOT NULL,
    received_at     timestamptz NOT NULL,
    acknowledge_by  timestamptz NOT NULL,
    silent          boolean     NOT NULL,
    response        text        NOT NULL,
    acknowledged_at timestamptz,
    PRIMARY KEY (tenant, referral_id)
);
