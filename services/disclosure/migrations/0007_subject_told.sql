-- 5.6.25: a subject who is to be told is told in person, with information about the scheme,
-- and the telling is recorded before the case closes.
ALTER TABLE cases ADD COLUMN subject_told_at timestamptz;
