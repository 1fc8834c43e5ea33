-- Counting what clinicians took: each card keeps what its suggestions offer
-- (`kind/what`, whatever the dose, in the order of `suggestion_uuids`), and
-- the writer counts per (tenant, service, rule, day, suggestion) how often it
-- was offered on a card shown and accepted, in the same transaction as the
-- rows it counts. A suggestion counts as accepted once per card, however many
-- feedback items name it. An accepted id that is none of the card's
-- suggestions (or a card recorded before suggestions were named, whose keys
-- are '[]') is counted under ''.
ALTER TABLE audit_card ADD COLUMN suggestion_keys TEXT NOT NULL DEFAULT '[]';

CREATE TABLE report_suggestion (
    tenant     TEXT   NOT NULL,
    service_id TEXT   NOT NULL,
    rule_code  TEXT   NOT NULL,
    day        BIGINT NOT NULL,
    suggestion TEXT   NOT NULL,
    offered    BIGINT NOT NULL,
    accepted   BIGINT NOT NULL,
    PRIMARY KEY (tenant, service_id, rule_code, day, suggestion)
);
