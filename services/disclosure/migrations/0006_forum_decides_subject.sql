-- 5.6.17: whether the subject is told is the forum's decision; the decision maker follows it.
ALTER TABLE cases ADD COLUMN forum_inform_subject boolean;
