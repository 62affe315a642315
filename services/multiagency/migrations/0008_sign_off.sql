-- 5.4.2-5.4.7, Appendix D: the full risk assessment is a trained officer's. The system's
-- categorisation is kept as proposed; the officer's sign-off, answers and reason for any
-- change are kept beside it.
ALTER TABLE assessments ADD COLUMN proposed_route text;
ALTER TABLE assessments ADD COLUMN signed_off_at timestamptz;
ALTER TABLE assessments ADD COLUMN signed_off_by text;
ALTER TABLE assessments ADD COLUMN appendix_d jsonb;
