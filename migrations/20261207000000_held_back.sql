-- Remembering what the clinician said (POLICY third edition): a card
-- overridden for a patient is held back on later calls while it is
-- unchanged. A held-back card is audited with status 'suppressed' and the
-- card whose override it follows; the draft orders a card was shown for are
-- kept as a fingerprint (a hash, never their content), so that a changed
-- order shows the card again. The report counts held-back cards per rule.

ALTER TABLE audit_card ADD COLUMN status TEXT NOT NULL DEFAULT 'shown';
ALTER TABLE audit_card ADD COLUMN drafts_key TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_card ADD COLUMN follows TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_card_patient ON audit_card (patient_hmac, rule_code, issued_at);

ALTER TABLE report_daily ADD COLUMN suppressed BIGINT NOT NULL DEFAULT 0;
