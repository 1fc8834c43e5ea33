-- Remembering what the clinician said (POLICY third edition): a card
-- overridden for a patient is held back on later calls while it is
-- unchanged, and a card re-sent unchanged within minutes is counted once.
-- A held-back card is audited with status 'suppressed' and the card whose
-- override it follows; a re-sent one with status 'resent'. The draft orders
-- a card was shown for are kept as a fingerprint (a hash, never their
-- content). `overridden_at` is when the latest override of the card was
-- received (0: never), kept by the writer with the feedback, so that a hook
-- call finds a patient's overridden cards by index. The report counts
-- held-back cards per rule.

ALTER TABLE audit_card ADD COLUMN status TEXT NOT NULL DEFAULT 'shown';
ALTER TABLE audit_card ADD COLUMN drafts_key TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_card ADD COLUMN follows TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_card ADD COLUMN overridden_at BIGINT NOT NULL DEFAULT 0;
UPDATE audit_card SET overridden_at = COALESCE((SELECT MAX(f.received_at) FROM feedback f
    WHERE f.card_uuid = audit_card.card_uuid AND f.outcome = 'overridden'), 0);
CREATE INDEX audit_card_patient_shown ON audit_card (patient_hmac, status, issued_at);
CREATE INDEX audit_card_patient_overridden ON audit_card (patient_hmac, overridden_at);

ALTER TABLE report_daily ADD COLUMN suppressed BIGINT NOT NULL DEFAULT 0;
