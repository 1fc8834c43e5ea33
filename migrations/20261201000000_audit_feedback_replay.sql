-- One schema for SQLite and PostgreSQL: TEXT and BIGINT only, times in Unix
-- milliseconds (UTC), no database-specific types or functions.

-- Every card returned to a CDS client. No patient id, names, tokens or free
-- text from the request: the patient is a keyed hash (HMAC-SHA256).
CREATE TABLE audit_card (
    card_uuid        TEXT   NOT NULL PRIMARY KEY,
    service_id       TEXT   NOT NULL,
    hook             TEXT   NOT NULL,
    hook_instance    TEXT   NOT NULL,
    rule_system      TEXT   NOT NULL,
    rule_code        TEXT   NOT NULL,
    rule_display     TEXT   NOT NULL,
    indicator        TEXT   NOT NULL,
    summary          TEXT   NOT NULL,
    suggestion_uuids TEXT   NOT NULL, -- JSON array of strings
    policy_version   TEXT   NOT NULL,
    service_version  TEXT   NOT NULL,
    patient_hmac     TEXT   NOT NULL,
    issued_at        BIGINT NOT NULL
);
CREATE INDEX audit_card_issued_at ON audit_card (issued_at);
CREATE INDEX audit_card_rule ON audit_card (rule_code, issued_at);

-- CDS Hooks feedback, one row per item. The key makes a repeated item a no-op.
-- card_uuid need not name an audited card: such feedback is "unmatched".
CREATE TABLE feedback (
    service_id           TEXT   NOT NULL,
    card_uuid            TEXT   NOT NULL,
    outcome              TEXT   NOT NULL, -- accepted | overridden
    outcome_at           BIGINT NOT NULL,
    accepted_suggestions TEXT   NOT NULL, -- JSON array of suggestion ids
    reason_system        TEXT,
    reason_code          TEXT,
    reason_display       TEXT,
    reason_category      TEXT,            -- non-adherence category (CDS Hooks 3.0 ballot), when it maps
    user_comment         TEXT,
    received_at          BIGINT NOT NULL,
    PRIMARY KEY (service_id, card_uuid, outcome, outcome_at)
);
CREATE INDEX feedback_card ON feedback (card_uuid);
CREATE INDEX feedback_received_at ON feedback (received_at);

-- JWT ids already used, per issuer, until the token expires.
CREATE TABLE jwt_replay (
    issuer     TEXT   NOT NULL,
    jti        TEXT   NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, jti)
);
CREATE INDEX jwt_replay_expires_at ON jwt_replay (expires_at);
