-- 6.1: the final intelligence report names every party involved, so the case keeps the
-- children as well as the applicant and the subject.
ALTER TABLE cases ADD COLUMN children jsonb;
