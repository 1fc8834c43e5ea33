-- Tenancy: a card remembers the token issuer and tenant it was shown to
-- (feedback on it is taken only from that issuer), feedback remembers who
-- sent it, and the report counters are kept per tenant so that an admin
-- bound to one tenant reads only that tenant's figures. Rows written before
-- this migration belong to no issuer and no tenant ('').

ALTER TABLE audit_card ADD COLUMN issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_card ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE feedback ADD COLUMN issuer TEXT NOT NULL DEFAULT '';

CREATE TABLE report_daily_t (
    tenant       TEXT   NOT NULL,
    service_id   TEXT   NOT NULL,
    rule_code    TEXT   NOT NULL,
    rule_display TEXT   NOT NULL,
    day          BIGINT NOT NULL,
    shown        BIGINT NOT NULL,
    accepted     BIGINT NOT NULL,
    overridden   BIGINT NOT NULL,
    PRIMARY KEY (tenant, service_id, rule_code, rule_display, day)
);
INSERT INTO report_daily_t (tenant, service_id, rule_code, rule_display, day, shown, accepted, overridden)
SELECT '', service_id, rule_code, rule_display, day, shown, accepted, overridden FROM report_daily;
DROP TABLE report_daily;
ALTER TABLE report_daily_t RENAME TO report_daily;

-- The reason's display is kept only when the operator configures free text
-- into the report (database.report_free_text); the report names our own
-- reasons by their own display. Displays counted before are dropped here.
CREATE TABLE report_reason_t (
    tenant          TEXT   NOT NULL,
    service_id      TEXT   NOT NULL,
    rule_code       TEXT   NOT NULL,
    day             BIGINT NOT NULL,
    reason_code     TEXT   NOT NULL,
    reason_display  TEXT   NOT NULL,
    reason_category TEXT   NOT NULL,
    items           BIGINT NOT NULL,
    PRIMARY KEY (tenant, service_id, rule_code, day, reason_code, reason_display, reason_category)
);
INSERT INTO report_reason_t (tenant, service_id, rule_code, day, reason_code, reason_display, reason_category, items)
SELECT '', service_id, rule_code, day, reason_code, '', reason_category, CAST(SUM(items) AS BIGINT)
FROM report_reason
GROUP BY service_id, rule_code, day, reason_code, reason_category;
DROP TABLE report_reason;
ALTER TABLE report_reason_t RENAME TO report_reason;

CREATE TABLE report_unmatched_t (
    tenant     TEXT   NOT NULL,
    service_id TEXT   NOT NULL,
    day        BIGINT NOT NULL,
    items      BIGINT NOT NULL,
    PRIMARY KEY (tenant, service_id, day)
);
INSERT INTO report_unmatched_t (tenant, service_id, day, items)
SELECT '', service_id, day, items FROM report_unmatched;
DROP TABLE report_unmatched;
ALTER TABLE report_unmatched_t RENAME TO report_unmatched;
