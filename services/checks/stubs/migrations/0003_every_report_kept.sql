-- 6.1: INI keeps every final intelligence report, a report about no one in particular too
-- (a redirected enquiry, information kept as intelligence), and the whole report with all its
-- parties, not only the subject's nominal.
ALTER TABLE final_reports ALTER COLUMN nominal_id DROP NOT NULL;
ALTER TABLE final_reports ADD COLUMN report jsonb;
