CREATE SCHEMA "Billing";
CREATE TABLE "Billing"."Order" (
    "TenantId" integer NOT NULL,
    "select" text NOT NULL,
    "Amount" numeric(12, 2) NOT NULL,
    meta jsonb,
    PRIMARY KEY ("TenantId", "select")
);
