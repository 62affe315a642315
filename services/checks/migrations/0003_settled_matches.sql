-- 5.4.4: a researcher settles a possible match. The query is asked again for the record
-- settled on, which every resend keeps asking for, until the system answers with it.
ALTER TABLE check_queries ADD COLUMN settle_reference text;
