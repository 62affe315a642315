-- A probation region's own records (stand-in): the people it supervises or has supervised,
-- and their MAPPA management.

CREATE TABLE supervised_people (
    tenant         text    NOT NULL,
    record_id      text    NOT NULL,
    forenames      text    NOT NULL,
    surname        text    NOT NULL,
    birth_year     integer,
    supervised     boolean NOT NULL,
    mappa_level    integer CHECK (mappa_level BETWEEN 1 AND 3),
    mappa_category integer CHECK (mappa_category BETWEEN 1 AND 3),
    restricted     boolean NOT NULL DEFAULT false,
    source         text    NOT NULL CHECK (source IN ('seed', 'added')),
    PRIMARY KEY (tenant, record_id)
);
