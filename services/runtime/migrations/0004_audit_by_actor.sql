-- "My cases": a member of staff's acts, newest first, found without reading the whole log.
CREATE INDEX audit_log_by_actor ON audit_log (tenant, actor, seq);
