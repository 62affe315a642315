-- 3.5, 4.10: immediate risk to a child who lives in another force's area is referred to that
-- force, which refers the child to its own children's social care at once and passes the
-- acknowledgement back. A forwarded referral keeps whom it came from, and its case's
-- correlation, since the case itself is the other force's.
ALTER TABLE referrals ADD COLUMN forwarded_from text;
ALTER TABLE referrals ADD COLUMN forwarded_referral_id uuid;
ALTER TABLE referrals ADD COLUMN correlation_id uuid;
