-- Whose rows a session may touch: the tenant its login role was provisioned for.
--
-- A service logs in as `<tenant>.<service>` (services/access/database.py); only the schema
-- owner can make such a role, and nothing a session sends changes its session_user, so the
-- tenant comes from who logged in, not from a setting. Any other login (the owner, an old
-- role) gets NULL, which equals no tenant: row-level security shows it nothing.
CREATE FUNCTION session_tenant() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog
    AS $$
        SELECT CASE WHEN session_user::text ~ '^[a-z0-9-]+\.[a-z0-9-]+$'
                    THEN split_part(session_user::text, '.', 1) END
    $$;
