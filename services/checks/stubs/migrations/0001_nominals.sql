-- A national or force system's own records: the people it holds (nominals), every name each
-- is known by, and what is recorded against them. The same tables serve PNC, ViSOR, INI and
-- local intelligence, each in its own schema; local intelligence is one tenant per force.

-- Trigram similarity for blocking on misspelt surnames. A trusted extension: the migration
-- owner may create it. In public, so that every stand-in's schema uses the one copy.
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;

CREATE TABLE nominals (
    tenant             text     NOT NULL,
    id                 bigint   NOT NULL,
    reference          text     NOT NULL,
    forenames          text     NOT NULL,
    surname            text     NOT NULL,
    sex                text,
    dob_year           smallint,
    dob_month          smallint,
    dob_day            smallint,
    address_lines      text,
    town               text,
    postcode           text,
    previous_lines     text,
    previous_town      text,
    previous_postcode  text,
    description        text,
    home_force         text,
    visor_marker       boolean  NOT NULL DEFAULT false,
    PRIMARY KEY (tenant, id),
    UNIQUE (tenant, reference)
);

-- Every name a nominal is known by (position 0 the name on the record, then aliases), with
-- what the search narrows on: the exact spelling, the forename's initial, the year of birth.
CREATE TABLE nominal_names (
    tenant            text     NOT NULL,
    nominal_id        bigint   NOT NULL,
    position          smallint NOT NULL,
    forenames         text     NOT NULL,
    surname           text     NOT NULL,
    forename_initial  text     NOT NULL,
    dob_year          smallint,
    PRIMARY KEY (tenant, nominal_id, position)
);

-- Every surname spelling the system holds, once, with its phonetic key: a search first finds
-- the spellings that sound like or look like the one asked (a btree on the key, a trigram
-- index on the spelling), then the names with those spellings.
CREATE TABLE surnames (
    tenant       text  NOT NULL,
    surname      text  NOT NULL,
    surname_key  text  NOT NULL,
    PRIMARY KEY (tenant, surname)
);

CREATE TABLE records (
    tenant          text     NOT NULL,
    nominal_id      bigint   NOT NULL,
    reference       text     NOT NULL,
    kind            text     NOT NULL,
    category        text     NOT NULL,
    schedule_34a    boolean  NOT NULL,
    recorded_year   smallint,
    summary         text     NOT NULL,
    grading         text,
    managing_force  text,
    mappa_category  smallint,
    mappa_level     smallint,
    risk_level      text,
    conditions      text[]   NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant, reference)
);

CREATE INDEX nominal_names_spelling
    ON nominal_names (tenant, surname, forename_initial, dob_year);
CREATE INDEX surnames_sound ON surnames (tenant, surname_key);
-- GiST, not GIN: ordered by trigram distance, the nearest spellings come from the index.
CREATE INDEX surnames_trigram ON surnames USING gist (surname public.gist_trgm_ops);
CREATE INDEX nominals_dob ON nominals (tenant, dob_year, dob_month, dob_day);
CREATE INDEX nominals_postcode ON nominals (tenant, postcode);
CREATE INDEX nominals_previous_postcode ON nominals (tenant, previous_postcode);
CREATE INDEX records_nominal ON records (tenant, nominal_id);
