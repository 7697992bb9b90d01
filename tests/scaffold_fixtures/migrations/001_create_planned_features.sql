CREATE TABLE planned_features (
    id bigserial PRIMARY KEY,
    title varchar(200) NOT NULL,
    description text,
    priority integer NOT NULL DEFAULT 0,
    legacy_flag boolean
);

CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
