CREATE TABLE bulk_items (
    code text PRIMARY KEY,
    counter integer NOT NULL DEFAULT 0
);
