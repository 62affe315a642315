-- The protective actions taken, by kind, not only how many (case studies 1 and 2): what the
-- case view and the case studies show happened.
ALTER TABLE cases ADD COLUMN protective_action_kinds text[] NOT NULL DEFAULT '{}';
