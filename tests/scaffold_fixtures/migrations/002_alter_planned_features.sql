ALTER TABLE planned_features ADD COLUMN status text NOT NULL DEFAULT 'planned';
ALTER TABLE planned_features ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE planned_features ADD COLUMN tags text[];
ALTER TABLE planned_features DROP COLUMN legacy_flag;
ALTER TABLE planned_features RENAME COLUMN description TO details;
