-- 6.3, 4.10: the owning force tells each force that responded for a party of the case how
-- the case ended, and that force tells the agencies it consulted; told once.
ALTER TABLE handoffs ADD COLUMN case_closed_at timestamptz;
