-- A case's consultations and handoffs are read by case reference (store_requests.py) on every
-- answer and every completion; without these indexes each lookup scanned every consultation
-- and handoff the force ever made, so the cost grew with the force's history.
CREATE INDEX consultations_by_case ON consultations (tenant, case_reference);
CREATE INDEX handoffs_by_case ON handoffs (tenant, case_reference, requested_at);
