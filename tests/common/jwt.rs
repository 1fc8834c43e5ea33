//! An ES256 CDS client for tests that run the service with authentication:
//! its JWKS and fresh tokens for a URL.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};

pub struct Client {
    pub iss: String,
    kid: String,
    jwk: Value,
    key: EncodingKey,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Client {
    pub fn new(iss: &str) -> Client {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        use p256::pkcs8::EncodePrivateKey;
        let sk = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let point = sk.public_key().to_encoded_point(false);
        let der = sk.to_pkcs8_der().unwrap().as_bytes().to_vec();
        let kid = "test-es256".to_string();
        Client {
            iss: iss.into(),
            jwk: json!({"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig",
                        "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap())}),
            kid,
            key: EncodingKey::from_ec_der(&der),
        }
    }

    pub fn jwks(&self) -> String {
        json!({ "keys": [self.jwk] }).to_string()
    }

    /// An auth config (TOML) trusting this client, with `base` as the audience base.
    pub fn config(&self, base: &str) -> String {
        format!("public_base_url = \"{base}\"\n{}", self.issuer_table())
    }

    /// The `[[issuer]]` table trusting this client (more keys may follow).
    pub fn issuer_table(&self) -> String {
        format!(
            "[[issuer]]\niss = \"{}\"\njwks = '''{}'''\n",
            self.iss,
            self.jwks()
        )
    }

    /// As [`Client::config`], the issuer also allowed to read the report.
    pub fn admin_config(&self, base: &str) -> String {
        format!("{}admin = true\n", self.config(base))
    }

    /// A fresh token (new jti) for a call to `aud`.
    pub fn token(&self, aud: &str) -> String {
        self.token_with(aud, json!({}))
    }

    /// A fresh token for `aud` with `extra` claims (e.g. `tenant`).
    pub fn token_with(&self, aud: &str, extra: Value) -> String {
        let now = chrono::Utc::now().timestamp();
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": self.kid});
        let mut claims = json!({"iss": self.iss, "aud": aud, "iat": now, "exp": now + 300,
                            "jti": uuid::Uuid::new_v4().to_string()});
        if let (Some(c), Some(e)) = (claims.as_object_mut(), extra.as_object()) {
            c.extend(e.clone());
        }
        let msg = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let sig = jsonwebtoken::crypto::sign(msg.as_bytes(), &self.key, Algorithm::ES256).unwrap();
        format!("{msg}.{sig}")
    }
}
