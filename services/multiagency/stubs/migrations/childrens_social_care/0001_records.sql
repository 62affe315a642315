-- A children's social care system's own records (stand-in): the children it knows and
-- their child protection plans.

CREATE TABLE known_children (
    tenant                text    NOT NULL,
    record_id             text    NOT NULL,
    forenames             text    NOT NULL,
    surname               text    NOT NULL,
    birth_year            integer,
    child_protection_plan boolean NOT NULL,
    plan_since            integer,
    restricted            boolean NOT NULL DEFAULT false,
    source                text    NOT NULL CHECK (source IN ('seed', 'added')),
    PRIMARY KEY (tenant, record_id)
);
