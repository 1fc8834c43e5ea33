//! JSON Web Keys and signature checks. RS256/384/512, ES256 and ES384 are
//! verified by `jsonwebtoken`; ES512 (P-521), which it lacks, by `p521`.
//! Symmetric algorithms and `none` are never accepted, so a public key can
//! never be used as an HMAC secret. RSA keys shorter than 2048 bits are
//! never used.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

/// The algorithms accepted (CDS Hooks 2.0 "Trusting CDS Clients").
pub const ACCEPTED: &[&str] = &["ES256", "ES384", "ES512", "RS256", "RS384", "RS512"];

/// A public key from a JWKS, read leniently (unknown members ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub kid: Option<String>,
    pub alg: Option<String>,
    #[serde(rename = "use")]
    pub use_: Option<String>,
    pub crv: Option<String>,
    pub x: Option<String>,
    pub y: Option<String>,
    pub n: Option<String>,
    pub e: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JwkSet {
    pub keys: Vec<serde_json::Value>,
}

/// Parses a JWKS, keeping the keys that parse (a JWKS may hold key types we
/// do not use).
pub fn parse_jwks(text: &[u8]) -> Result<Vec<Jwk>, String> {
    let set: JwkSet = serde_json::from_slice(text).map_err(|e| format!("not a JWKS: {e}"))?;
    Ok(set
        .keys
        .into_iter()
        .filter_map(|k| serde_json::from_value(k).ok())
        .collect())
}

/// Why a key cannot verify a token of this algorithm.
pub fn key_fits(jwk: &Jwk, alg: &str) -> Result<(), &'static str> {
    if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return Err("key not for signatures");
    }
    if jwk.alg.as_deref().is_some_and(|a| a != alg) {
        return Err("key alg differs from token alg");
    }
    let ok = match alg {
        "ES256" => jwk.kty == "EC" && jwk.crv.as_deref() == Some("P-256"),
        "ES384" => jwk.kty == "EC" && jwk.crv.as_deref() == Some("P-384"),
        "ES512" => jwk.kty == "EC" && jwk.crv.as_deref() == Some("P-521"),
        "RS256" | "RS384" | "RS512" => jwk.kty == "RSA",
        _ => false,
    };
    if !ok {
        return Err("key type does not match alg");
    }
    if jwk.kty == "RSA" && rsa_bits(jwk).is_none_or(|bits| bits < MIN_RSA_BITS) {
        return Err("RSA key shorter than 2048 bits");
    }
    Ok(())
}

/// Shortest RSA modulus used (NIST SP 800-131A; RFC 7518 3.3).
pub const MIN_RSA_BITS: usize = 2048;

/// The length in bits of an RSA key's modulus.
pub fn rsa_bits(jwk: &Jwk) -> Option<usize> {
    let n = URL_SAFE_NO_PAD.decode(jwk.n.as_deref()?).ok()?;
    let first = n.iter().position(|b| *b != 0)?;
    Some((n.len() - first) * 8 - n[first].leading_zeros() as usize)
}

/// Checks the signature of `header.payload` with this key.
pub fn verify(jwk: &Jwk, alg: &str, message: &[u8], signature_b64: &str) -> bool {
    if alg == "ES512" {
        return verify_es512(jwk, message, signature_b64).unwrap_or(false);
    }
    let algorithm = match alg {
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        _ => return false,
    };
    let key = match jwk.kty.as_str() {
        "EC" => match (&jwk.x, &jwk.y) {
            (Some(x), Some(y)) => DecodingKey::from_ec_components(x, y),
            _ => return false,
        },
        "RSA" => match (&jwk.n, &jwk.e) {
            (Some(n), Some(e)) => DecodingKey::from_rsa_components(n, e),
            _ => return false,
        },
        _ => return false,
    };
    match key {
        Ok(key) => {
            jsonwebtoken::crypto::verify(signature_b64, message, &key, algorithm).unwrap_or(false)
        }
        Err(_) => false,
    }
}

fn verify_es512(jwk: &Jwk, message: &[u8], signature_b64: &str) -> Option<bool> {
    use p521::ecdsa::signature::Verifier;
    let x = URL_SAFE_NO_PAD.decode(jwk.x.as_deref()?).ok()?;
    let y = URL_SAFE_NO_PAD.decode(jwk.y.as_deref()?).ok()?;
    if x.len() != 66 || y.len() != 66 {
        return Some(false);
    }
    let mut sec1 = Vec::with_capacity(133);
    sec1.push(0x04);
    sec1.extend_from_slice(&x);
    sec1.extend_from_slice(&y);
    let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).ok()?;
    let sig = URL_SAFE_NO_PAD.decode(signature_b64).ok()?;
    let sig = p521::ecdsa::Signature::from_slice(&sig).ok()?;
    Some(key.verify(message, &sig).is_ok())
}
