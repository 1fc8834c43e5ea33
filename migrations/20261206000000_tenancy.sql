-- Tenancy: a card remembers the token issuer and tenant it was shown to
-- (feedback on it is taken only from that issuer), feedback remembers who
-- sent it, and the report counters are kept per tenant so that an admin
-- bound to one tenant reads only that tenant's figures. Rows written before
-- this migration belong to no issuer and no tenant ('').

ALTER TABLE audit_card ADD COLUMN issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_card ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE feedback ADD COLUMN issuer TEXT NOT NULL DEFAULT '';

-- The counters, rebuilt per tenant: new tables, filled by counting what is
-- stored (rows written before this migration belong to tenant ''). The
-- reason's display is counted only when the operator configures free text
-- into the report (database.report_free_text); the report names our own
-- reasons by their own display, so the displays are not carried over.
DROP TABLE report_daily;
DROP TABLE report_reason;
DROP TABLE report_unmatched;
CREATE TABLE report_daily (
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
CREATE TABLE report_reason (
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
CREATE TABLE report_unmatched (
    tenant     TEXT   NOT NULL,
    service_id TEXT   NOT NULL,
    day        BIGINT NOT NULL,
    items      BIGINT NOT NULL,
    PRIMARY KEY (tenant, service_id, day)
);

-- The counters of what is already stored.
INSERT INTO report_daily (tenant, service_id, rule_code, rule_display, day, shown, accepted, overridden)
SELECT a.tenant, a.service_id, a.rule_code, a.rule_display, a.issued_at / 86400000, COUNT(*),
       SUM(CASE WHEN EXISTS (SELECT 1 FROM feedback f WHERE f.card_uuid = a.card_uuid
           AND f.outcome = 'accepted') THEN 1 ELSE 0 END),
       SUM(CASE WHEN EXISTS (SELECT 1 FROM feedback f WHERE f.card_uuid = a.card_uuid
           AND f.outcome = 'overridden') THEN 1 ELSE 0 END)
FROM audit_card a
GROUP BY a.tenant, a.service_id, a.rule_code, a.rule_display, a.issued_at / 86400000;

INSERT INTO report_reason (tenant, service_id, rule_code, day, reason_code, reason_display, reason_category, items)
SELECT a.tenant, a.service_id, a.rule_code, a.issued_at / 86400000, COALESCE(f.reason_code, ''),
       '', COALESCE(f.reason_category, ''), COUNT(*)
FROM feedback f JOIN audit_card a ON a.card_uuid = f.card_uuid
WHERE f.outcome = 'overridden'
GROUP BY a.tenant, a.service_id, a.rule_code, a.issued_at / 86400000, COALESCE(f.reason_code, ''),
         COALESCE(f.reason_category, '');

INSERT INTO report_unmatched (tenant, service_id, day, items)
SELECT '', f.service_id, f.received_at / 86400000, COUNT(*)
FROM feedback f
WHERE NOT EXISTS (SELECT 1 FROM audit_card a WHERE a.card_uuid = f.card_uuid)
GROUP BY f.service_id, f.received_at / 86400000;
-- (end of the counters)

-- The report reads its counters, never audit_card by rule: this index only
-- cost every card write two more pages.
DROP INDEX audit_card_rule;
