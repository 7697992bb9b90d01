CREATE TABLE audit_log (happened_at timestamptz NOT NULL, message text);
