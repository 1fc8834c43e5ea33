//! The audit record of a card, taken from the response as sent.
//!
//! Kept: card and suggestion uuids, service, hook, hookInstance, the rule
//! (`source.topic`), indicator and summary (our own text), the policy and
//! service versions, the time, and a keyed hash of the patient id. Never the
//! patient id itself, names, tokens or free text from the request.

use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::cds::HookResponse;

/// The secret of the patient-id hash. `Debug` never prints it.
#[derive(Clone)]
pub struct AuditKey(Vec<u8>);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey([redacted])")
    }
}

/// Shortest key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 32;

impl AuditKey {
    pub fn new(bytes: Vec<u8>) -> Result<AuditKey, String> {
        if bytes.len() < MIN_KEY_BYTES {
            return Err(format!(
                "the audit key must have at least {MIN_KEY_BYTES} bytes"
            ));
        }
        Ok(AuditKey(bytes))
    }

    /// The key in `path` (its text, surrounding whitespace removed).
    pub fn from_file(path: &Path) -> Result<AuditKey, String> {
        let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let trimmed = String::from_utf8_lossy(&text).trim().as_bytes().to_vec();
        AuditKey::new(trimmed).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The key in `path`, or a new random one written there (mode 0600) when
    /// the file does not exist.
    pub fn load_or_create(path: &Path) -> Result<AuditKey, String> {
        if path.exists() {
            return AuditKey::from_file(path);
        }
        let mut raw = [0u8; 32];
        getrandom::getrandom(&mut raw).map_err(|e| format!("random key: {e}"))?;
        let text = hex(&raw);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        std::io::Write::write_all(&mut file, text.as_bytes())
            .and_then(|_| file.sync_all())
            .map_err(|e| format!("{}: {e}", path.display()))?;
        AuditKey::new(text.into_bytes())
    }

    /// The key of a SQLite store when none is named: `audit-key` in the
    /// user's state directory (`$XDG_STATE_HOME/ssc-myositis-cds`, else
    /// `~/.local/state/ssc-myositis-cds`, created 0700), never beside the
    /// database, so that a copy of the database folder does not carry the
    /// key that unmasks its patient hashes. A key left beside the database
    /// by an earlier version is still used, so that the hashes keep
    /// matching, with a warning to move it.
    pub fn default_for_sqlite(database_file: &Path) -> Result<AuditKey, String> {
        let beside = std::path::PathBuf::from(format!("{}.audit-key", database_file.display()));
        if beside.exists() {
            tracing::warn!(
                "the audit key lies beside the database: a copy of the database folder carries it; \
                 move it out of that folder and name it with --audit-key-file (database.audit_key_file)"
            );
            return AuditKey::from_file(&beside);
        }
        let dir = default_key_dir().ok_or(
            "no state directory (set HOME or XDG_STATE_HOME) for the audit key: name one with \
             --audit-key-file (database.audit_key_file)",
        )?;
        let db_dir = database_file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| std::path::PathBuf::from("."));
        if inside(&dir, &db_dir) {
            return Err(format!(
                "the default audit key folder {} is inside the database folder: name a key \
                 outside it with --audit-key-file",
                dir.display()
            ));
        }
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir).map_err(|e| {
            format!(
                "{}: {e}; name a key with --audit-key-file (database.audit_key_file)",
                dir.display()
            )
        })?;
        AuditKey::load_or_create(&dir.join("audit-key"))
    }

    /// HMAC-SHA256 of a patient id, hex.
    pub fn patient_hash(&self, patient_id: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(patient_id.as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

/// Whether `dir` lies inside `folder`, both resolved as far as they exist:
/// a key folder not made yet compares as it will be once made.
fn inside(dir: &Path, folder: &Path) -> bool {
    match (resolved(dir), resolved(folder)) {
        (Some(d), Some(f)) => d.starts_with(f),
        _ => false,
    }
}

/// `p` absolute with its links resolved: its longest existing prefix
/// canonicalized, the rest appended.
fn resolved(p: &Path) -> Option<std::path::PathBuf> {
    let mut missing = vec![];
    let mut existing = p;
    loop {
        let here = if existing.as_os_str().is_empty() {
            Path::new(".")
        } else {
            existing
        };
        if let Ok(c) = here.canonicalize() {
            return Some(missing.iter().rev().fold(c, |acc, part| acc.join(part)));
        }
        missing.push(existing.file_name()?);
        existing = existing.parent()?;
    }
}

/// Where the default audit key lives (see [`AuditKey::default_for_sqlite`]).
pub fn default_key_dir() -> Option<std::path::PathBuf> {
    let base = match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        Some(state) => std::path::PathBuf::from(state),
        None => std::path::PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?)
            .join(".local/state"),
    };
    Some(base.join("ssc-myositis-cds"))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A short fingerprint of a text (the policy in force), for the audit.
pub fn fingerprint(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes())[..6])
}

/// The fingerprint of a request's draft orders (FNV-1a, 64 bits, hex): the
/// same text gives the same key, any other almost surely another. Not a
/// secret and not a defence against a crafted collision (the EHR sends the
/// drafts); cheap, as it runs on every hook call. A collision could only
/// hold back a card overridden for other orders of the same patient.
pub fn drafts_key(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// One audited card.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditCard {
    pub card_uuid: String,
    pub service_id: String,
    pub hook: String,
    pub hook_instance: String,
    pub rule_system: String,
    pub rule_code: String,
    pub rule_display: String,
    pub indicator: String,
    pub summary: String,
    pub suggestion_uuids: Vec<String>,
    /// What each suggestion offers (`kind/what`), in the order of
    /// `suggestion_uuids`; empty for cards recorded before they were named.
    pub suggestion_keys: Vec<String>,
    pub policy_version: String,
    pub service_version: String,
    pub patient_hmac: String,
    pub issued_at_ms: i64,
    /// The token issuer the card was shown to ('' without authentication):
    /// feedback on the card is taken from that issuer only.
    pub issuer: String,
    /// The token's tenant claim ('' when none): the report's tenant.
    pub tenant: String,
    /// A fingerprint of the request's draft orders ('' for none): a card
    /// overridden for other orders is not held back.
    pub drafts_key: String,
    /// Shown, shown again unchanged within minutes (counted once), or held
    /// back.
    pub status: CardStatus,
}

/// What became of an audited card.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CardStatus {
    /// Sent to the client.
    #[default]
    Shown,
    /// Sent again, unchanged, for the same patient and draft orders within
    /// the policy's `resend_window_minutes` of the same card (an EHR re-sends
    /// order-select at every edit): the report counts it once.
    Resent,
    /// Held back (never sent): overridden before and unchanged since; the
    /// card whose override it follows.
    Suppressed { follows: String },
}

impl CardStatus {
    /// The stored `status` and `follows` columns.
    pub fn columns(&self) -> (&'static str, &str) {
        match self {
            CardStatus::Shown => ("shown", ""),
            CardStatus::Resent => ("resent", ""),
            CardStatus::Suppressed { follows } => ("suppressed", follows),
        }
    }

    /// From the stored columns; `None` for a status this version does not know.
    pub fn from_columns(status: &str, follows: String) -> Option<CardStatus> {
        Some(match status {
            "shown" => CardStatus::Shown,
            "resent" => CardStatus::Resent,
            "suppressed" => CardStatus::Suppressed { follows },
            _ => return None,
        })
    }
}

/// What a response was given for (besides the cards).
pub struct Issued<'a> {
    pub service_id: &'a str,
    pub hook: &'a str,
    pub hook_instance: &'a str,
    /// The keyed hash of the patient id ([`AuditKey::patient_hash`]).
    pub patient_hmac: &'a str,
    pub policy_version: &'a str,
    pub issued_at_ms: i64,
    pub issuer: &'a str,
    pub tenant: &'a str,
    /// A fingerprint of the request's draft orders.
    pub drafts_key: &'a str,
}

/// The audit records of the cards of a response (those in `resent` marked
/// so), and of the cards held back (each with the override it follows).
pub fn records(
    response: &HookResponse,
    resent: &[String],
    held: &[(crate::cds::Card, String)],
    issued: &Issued<'_>,
) -> Vec<AuditCard> {
    let shown = response.cards.iter().map(|c| {
        let status = if resent.contains(&c.uuid) {
            CardStatus::Resent
        } else {
            CardStatus::Shown
        };
        (c, status)
    });
    let held = held.iter().map(|(c, follows)| {
        (
            c,
            CardStatus::Suppressed {
                follows: follows.clone(),
            },
        )
    });
    shown
        .chain(held)
        .map(|(c, status)| AuditCard {
            card_uuid: c.uuid.clone(),
            service_id: issued.service_id.to_string(),
            hook: issued.hook.to_string(),
            hook_instance: issued.hook_instance.to_string(),
            rule_system: c.source.topic.system.clone(),
            rule_code: c.source.topic.code.clone(),
            rule_display: c.source.topic.display.clone(),
            indicator: c.indicator.to_string(),
            summary: c.summary.clone(),
            suggestion_uuids: c.suggestions.iter().map(|s| s.uuid.clone()).collect(),
            suggestion_keys: c.suggestions.iter().map(|s| s.key.clone()).collect(),
            policy_version: issued.policy_version.to_string(),
            service_version: env!("CARGO_PKG_VERSION").to_string(),
            patient_hmac: issued.patient_hmac.to_string(),
            issued_at_ms: issued.issued_at_ms,
            issuer: issued.issuer.to_string(),
            tenant: issued.tenant.to_string(),
            drafts_key: issued.drafts_key.to_string(),
            status,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_patient_hash_is_keyed_and_stable_and_hides_the_id() {
        let a = AuditKey::new(vec![1; 32]).unwrap();
        let b = AuditKey::new(vec![2; 32]).unwrap();
        assert_eq!(a.patient_hash("pat-1"), a.patient_hash("pat-1"));
        assert_ne!(a.patient_hash("pat-1"), a.patient_hash("pat-2"));
        assert_ne!(a.patient_hash("pat-1"), b.patient_hash("pat-1"));
        assert_eq!(a.patient_hash("pat-1").len(), 64);
        assert!(!a.patient_hash("pat-1").contains("pat"));
        // RFC 4231 test case 2 (its key is shorter than `new` accepts).
        let k = AuditKey(b"Jefe".to_vec());
        assert_eq!(
            k.patient_hash("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn drafts_keys_are_fnv1a() {
        // FNV-1a 64 test vectors (Fowler, Noll, Vo).
        assert_eq!(drafts_key(""), "cbf29ce484222325");
        assert_eq!(drafts_key("a"), "af63dc4c8601ec8c");
        assert_eq!(drafts_key("foobar"), "85944171f73967e8");
        assert_ne!(drafts_key("{\"a\":1}"), drafts_key("{\"a\":2}"));
    }

    #[test]
    fn short_keys_are_refused_and_debug_hides_the_key() {
        assert!(AuditKey::new(b"short".to_vec()).is_err());
        let k = AuditKey::new(b"0123456789abcdef0123456789abcdef".to_vec()).unwrap();
        assert!(!format!("{k:?}").contains("0123"));
    }

    #[test]
    fn a_created_key_is_kept_and_read_back() {
        let dir = std::env::temp_dir().join(format!("ssc-audit-key-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("key");
        let k1 = AuditKey::load_or_create(&path).unwrap();
        let k2 = AuditKey::load_or_create(&path).unwrap();
        assert_eq!(k1.patient_hash("x"), k2.patient_hash("x"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "key readable by others: {mode:o}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_key_folder_inside_the_database_folder_is_seen_before_it_is_made() {
        let dir = std::env::temp_dir().join(format!("ssc-audit-inside-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        // Not made yet: inside all the same (a first start must refuse what
        // a second would).
        assert!(inside(&dir.join("state/ssc-myositis-cds"), &dir));
        std::fs::create_dir_all(dir.join("state/ssc-myositis-cds")).unwrap();
        assert!(inside(&dir.join("state/ssc-myositis-cds"), &dir));
        // Beside it, not inside.
        let other = std::env::temp_dir().join(format!("ssc-audit-other-{}", uuid::Uuid::new_v4()));
        assert!(!inside(&other.join("ssc-myositis-cds"), &dir));
        // A relative path resolves against the working folder.
        assert!(inside(Path::new("not-made-yet/x"), Path::new(".")));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_key_left_beside_the_database_is_still_used() {
        let dir = std::env::temp_dir().join(format!("ssc-audit-beside-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("records.sqlite");
        std::fs::write(dir.join("records.sqlite.audit-key"), "k".repeat(40)).unwrap();
        let k = AuditKey::default_for_sqlite(&db).unwrap();
        assert_eq!(
            k.patient_hash("p"),
            AuditKey::new("k".repeat(40).into_bytes())
                .unwrap()
                .patient_hash("p")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
