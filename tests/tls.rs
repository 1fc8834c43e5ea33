//! TLS to JWKS (and FHIR) servers trusts the operating system's root
//! certificates, as a hospital's own CA is installed there: a JWKS served
//! over https with a certificate from a private CA is fetched when that CA is
//! in the OS store (here through `SSL_CERT_FILE`, which the OS-store loader
//! reads), and not otherwise. The certificates in `tests/tls/` are test-only
//! (private key included), valid for a hundred years.
//!
//! One test in its own binary: it sets an environment variable.

use std::path::PathBuf;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::json;
use ssc_myositis_cds::auth::{AuthConfig, Verifier};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tls")
}

/// An https server on loopback answering every request with `body`.
async fn https_server(body: String) -> u16 {
    let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(dir().join("localhost.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(dir().join("localhost.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let (acceptor, body) = (acceptor.clone(), body.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 8192];
                let _ = tls.read(&mut buf).await;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test]
async fn a_jwks_behind_a_hospital_ca_from_the_os_store_is_trusted() {
    use p384::elliptic_curve::sec1::ToEncodedPoint;
    use p384::pkcs8::EncodePrivateKey;
    let sk = p384::SecretKey::random(&mut rand::rngs::OsRng);
    let point = sk.public_key().to_encoded_point(false);
    let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
    let jwks = json!({"keys": [{"kty": "EC", "crv": "P-384", "kid": "k", "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap())}]});
    let port = https_server(jwks.to_string()).await;

    let iss = "https://ehr.example.org";
    let aud = "https://cds.example.org/cds-services/ssc-myositis-order-sign";
    let config = format!(
        "public_base_url = \"https://cds.example.org\"\n[[issuer]]\niss = \"{iss}\"\njwks_url = \"https://localhost:{port}/jwks.json\"\n"
    );
    let enc = jsonwebtoken::EncodingKey::from_ec_der(sk.to_pkcs8_der().unwrap().as_bytes());
    let token = |jti: &str| {
        let now = chrono::Utc::now().timestamp();
        let h = b64(json!({"alg": "ES384", "kid": "k", "typ": "JWT"})
            .to_string()
            .as_bytes());
        let c = b64(
            json!({"iss": iss, "aud": aud, "iat": now, "exp": now + 300, "jti": jti})
                .to_string()
                .as_bytes(),
        );
        let msg = format!("{h}.{c}");
        let sig = jsonwebtoken::crypto::sign(msg.as_bytes(), &enc, jsonwebtoken::Algorithm::ES384)
            .unwrap();
        format!("Bearer {msg}.{sig}")
    };
    let verifier = || {
        Verifier::new(AuthConfig::from_toml(&config, std::path::Path::new("/tmp/a.toml")).unwrap())
            .unwrap()
    };
    let now = chrono::Utc::now().timestamp();

    // The private CA is in no store: the JWKS cannot be fetched.
    std::env::set_var("SSL_CERT_FILE", dir().join("no-such-file.pem"));
    std::env::remove_var("SSL_CERT_DIR");
    let got = verifier().verify(Some(&token("a")), aud, now).await;
    assert!(
        matches!(
            got,
            Err(ssc_myositis_cds::auth::AuthError::JwksUnavailable(_))
        ),
        "{got:?}"
    );

    // In the OS store: trusted.
    std::env::set_var("SSL_CERT_FILE", dir().join("ca.pem"));
    let got = verifier().verify(Some(&token("b")), aud, now).await;
    assert!(got.is_ok(), "{got:?}");
}
