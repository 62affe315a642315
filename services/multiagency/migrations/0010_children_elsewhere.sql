-- 4.10, 3.5: a handoff for a child carries the basis on which the owning force shares the
-- children's case, so that the responding force's children's social care is asked on it.
ALTER TABLE handoffs ADD COLUMN lawful_basis text
    CHECK (lawful_basis IS NULL OR lawful_basis IN ('consent', 'necessity'));
ALTER TABLE handoffs ADD COLUMN necessity_reason text;
