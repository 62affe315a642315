-- Immediate or imminent risk raised at any stage, not only from the applicant's answers (2.7,
-- 5.4.6, 5.6.11): staff raise it, and the checks raise it once when the subject's matched
-- record and the case's homes show it. The applicant's home is kept to see where a child lives.
ALTER TABLE cases ADD COLUMN applicant_home jsonb;
ALTER TABLE cases ADD COLUMN escalated_from_checks_at timestamptz;
ALTER TABLE referrals ADD COLUMN stage text;
