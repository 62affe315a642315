-- 6.3: the force tells each agency it consulted how the case ended; the agency keeps it
-- against the consultation, to act on what came to light.
ALTER TABLE consultations_received ADD COLUMN IF NOT EXISTS case_outcome text;
ALTER TABLE consultations_received ADD COLUMN IF NOT EXISTS outcome_received_at timestamptz;
