-- Daily counters of the acceptance report, kept up to date by the writer in
-- the same transaction as the rows they count, so that a report reads one
-- row per (service, rule, day) instead of every card. Days are Unix days
-- (UTC) of the card's issue; feedback counts on its card's day.

-- Cards shown, and cards with at least one accepted / overridden item.
CREATE TABLE report_daily (
    service_id   TEXT   NOT NULL,
    rule_code    TEXT   NOT NULL,
    rule_display TEXT   NOT NULL,
    day          BIGINT NOT NULL,
    shown        BIGINT NOT NULL,
    accepted     BIGINT NOT NULL,
    overridden   BIGINT NOT NULL,
    PRIMARY KEY (service_id, rule_code, rule_display, day)
);

-- Override items per reason ('' when the item named none).
CREATE TABLE report_reason (
    service_id      TEXT   NOT NULL,
    rule_code       TEXT   NOT NULL,
    day             BIGINT NOT NULL,
    reason_code     TEXT   NOT NULL,
    reason_display  TEXT   NOT NULL,
    reason_category TEXT   NOT NULL,
    items           BIGINT NOT NULL,
    PRIMARY KEY (service_id, rule_code, day, reason_code, reason_display, reason_category)
);

-- Feedback items on cards never issued, per service and day received.
CREATE TABLE report_unmatched (
    service_id TEXT   NOT NULL,
    day        BIGINT NOT NULL,
    items      BIGINT NOT NULL,
    PRIMARY KEY (service_id, day)
);

-- One row the readiness check rewrites: proof that a write reaches disk.
CREATE TABLE store_probe (
    id         BIGINT NOT NULL PRIMARY KEY,
    written_at BIGINT NOT NULL
);

-- The counters of what is already stored.
INSERT INTO report_daily (service_id, rule_code, rule_display, day, shown, accepted, overridden)
SELECT a.service_id, a.rule_code, a.rule_display, a.issued_at / 86400000, COUNT(*),
       SUM(CASE WHEN EXISTS (SELECT 1 FROM feedback f WHERE f.card_uuid = a.card_uuid
           AND f.outcome = 'accepted') THEN 1 ELSE 0 END),
       SUM(CASE WHEN EXISTS (SELECT 1 FROM feedback f WHERE f.card_uuid = a.card_uuid
           AND f.outcome = 'overridden') THEN 1 ELSE 0 END)
FROM audit_card a
GROUP BY a.service_id, a.rule_code, a.rule_display, a.issued_at / 86400000;

INSERT INTO report_reason (service_id, rule_code, day, reason_code, reason_display, reason_category, items)
SELECT a.service_id, a.rule_code, a.issued_at / 86400000, COALESCE(f.reason_code, ''),
       COALESCE(f.reason_display, ''), COALESCE(f.reason_category, ''), COUNT(*)
FROM feedback f JOIN audit_card a ON a.card_uuid = f.card_uuid
WHERE f.outcome = 'overridden'
GROUP BY a.service_id, a.rule_code, a.issued_at / 86400000, COALESCE(f.reason_code, ''),
         COALESCE(f.reason_display, ''), COALESCE(f.reason_category, '');

INSERT INTO report_unmatched (service_id, day, items)
SELECT f.service_id, f.received_at / 86400000, COUNT(*)
FROM feedback f
WHERE NOT EXISTS (SELECT 1 FROM audit_card a WHERE a.card_uuid = f.card_uuid)
GROUP BY f.service_id, f.received_at / 86400000;
