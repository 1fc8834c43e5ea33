//! Trusting CDS clients over real HTTP: a negative matrix of tokens that must
//! each get 401 without the rules running, the accepted algorithms, JWKS by URL
//! and jku with caching and rate-limited refresh, and the sandbox config.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};
use ssc_myositis_cds::auth::{AuthConfig, Verifier};
use ssc_myositis_cds::engine::Engine;
use ssc_myositis_cds::http::{AppState, AuthMode, Limits};

const ISS: &str = "https://ehr.example.org";
const BASE: &str = "https://cds.example.org/base";
const SIGN_PATH: &str = "/cds-services/ssc-myositis-order-sign";

/// Signs `header.payload`, returning the base64url signature.
type Signer = Box<dyn Fn(&[u8]) -> String + Send + Sync>;

/// A signing key and its public JWK.
struct Key {
    alg: &'static str,
    kid: String,
    jwk: Value,
    sign: Signer,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn ec_key(alg: &'static str, kid: &str) -> Key {
    use rand::rngs::OsRng;
    match alg {
        "ES256" => {
            use p256::elliptic_curve::sec1::ToEncodedPoint;
            use p256::pkcs8::EncodePrivateKey;
            let sk = p256::SecretKey::random(&mut OsRng);
            let point = sk.public_key().to_encoded_point(false);
            let der = sk.to_pkcs8_der().unwrap().as_bytes().to_vec();
            let enc = EncodingKey::from_ec_der(&der);
            Key {
                alg,
                kid: kid.into(),
                jwk: json!({"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap())}),
                sign: Box::new(move |m| {
                    jsonwebtoken::crypto::sign(m, &enc, Algorithm::ES256).unwrap()
                }),
            }
        }
        "ES384" => {
            use p384::elliptic_curve::sec1::ToEncodedPoint;
            use p384::pkcs8::EncodePrivateKey;
            let sk = p384::SecretKey::random(&mut OsRng);
            let point = sk.public_key().to_encoded_point(false);
            let der = sk.to_pkcs8_der().unwrap().as_bytes().to_vec();
            let enc = EncodingKey::from_ec_der(&der);
            Key {
                alg,
                kid: kid.into(),
                jwk: json!({"kty": "EC", "crv": "P-384", "kid": kid, "alg": "ES384", "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap())}),
                sign: Box::new(move |m| {
                    jsonwebtoken::crypto::sign(m, &enc, Algorithm::ES384).unwrap()
                }),
            }
        }
        "ES512" => {
            use p521::ecdsa::signature::Signer;
            let sk = p521::ecdsa::SigningKey::random(&mut OsRng);
            let vk = p521::ecdsa::VerifyingKey::from(&sk);
            let point = vk.to_encoded_point(false);
            let jwk = json!({"kty": "EC", "crv": "P-521", "kid": kid, "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap())});
            Key {
                alg,
                kid: kid.into(),
                jwk,
                sign: Box::new(move |m| {
                    let sig: p521::ecdsa::Signature = sk.sign(m);
                    b64(&sig.to_bytes())
                }),
            }
        }
        _ => unreachable!(),
    }
}

fn rsa_key(alg: &'static str, kid: &str) -> Key {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    static RSA: OnceLock<rsa::RsaPrivateKey> = OnceLock::new();
    let sk = RSA.get_or_init(|| rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap());
    let der = sk.to_pkcs1_der().unwrap().as_bytes().to_vec();
    let enc = EncodingKey::from_rsa_der(&der);
    let algorithm = match alg {
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        _ => Algorithm::RS512,
    };
    Key {
        alg,
        kid: kid.into(),
        jwk: json!({"kty": "RSA", "kid": kid, "n": b64(&sk.n().to_bytes_be()), "e": b64(&sk.e().to_bytes_be())}),
        sign: Box::new(move |m| jsonwebtoken::crypto::sign(m, &enc, algorithm).unwrap()),
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

static JTI: AtomicUsize = AtomicUsize::new(0);

fn claims(aud: &str) -> Value {
    let n = JTI.fetch_add(1, Ordering::Relaxed);
    json!({"iss": ISS, "aud": aud, "iat": now(), "exp": now() + 300, "jti": format!("jti-{n}-{}", now())})
}

fn header(key: &Key) -> Value {
    json!({"alg": key.alg, "typ": "JWT", "kid": key.kid})
}

fn token_with(key: &Key, header: &Value, claims: &Value) -> String {
    let msg = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let sig = (key.sign)(msg.as_bytes());
    format!("{msg}.{sig}")
}

fn jwks(keys: &[&Key]) -> String {
    json!({"keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>()}).to_string()
}

async fn server(config: &str) -> (Server, Arc<AppState>) {
    let dir = std::env::temp_dir().join(format!(
        "auth-{}-{}",
        std::process::id(),
        JTI.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("auth.toml");
    std::fs::write(&path, config).unwrap();
    let cfg = AuthConfig::from_toml(config, &path).unwrap();
    let mut state = AppState::new(
        Engine::with_defaults().unwrap(),
        Limits::default(),
        AuthMode::Required(Arc::new(Verifier::new(cfg).unwrap())),
    );
    state.public_base_url = Some(BASE.into());
    start_with(state).await
}

fn inline_config(keys: &[&Key], extra: &str) -> String {
    format!(
        "public_base_url = \"{BASE}\"\n[[issuer]]\niss = \"{ISS}\"\njwks = '''{}'''\n{extra}\n",
        jwks(keys)
    )
}

async fn call(s: &Server, path: &str, bearer: Option<&str>) -> u16 {
    let mut req = if path.ends_with("cds-services") {
        s.client.get(format!("{}{path}", s.base))
    } else {
        s.client
            .post(format!("{}{path}", s.base))
            .json(&fixture("S1.json"))
    };
    if let Some(t) = bearer {
        req = req.header("authorization", t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    if status == 200 {
        let body: Value = resp.json().await.unwrap();
        if path.ends_with("cds-services") {
            check_discovery(&body);
        } else {
            check_response(&body, Some("S1"));
        }
        return status;
    }
    if status == 401 {
        assert_eq!(resp.headers()["www-authenticate"], "Bearer");
        let oo: Value = resp.json().await.unwrap();
        check_operation_outcome(&oo);
        assert_eq!(
            oo["issue"][0]["diagnostics"], "authentication failed",
            "generic body"
        );
    }
    status
}

#[tokio::test]
async fn negative_matrix_every_token_is_refused_and_no_rule_runs() {
    let key = ec_key("ES384", "k1");
    let other = ec_key("ES384", "k1");
    let ec256 = ec_key("ES256", "k256");
    let enc_key = {
        let mut k = ec_key("ES384", "k-enc");
        k.jwk["use"] = json!("enc");
        k
    };
    let (s, state) = server(&inline_config(
        &[&key, &ec256, &enc_key],
        "tenants = [\"t1\", \"t2\"]",
    ))
    .await;
    let aud = format!("{BASE}{SIGN_PATH}");
    let good = || {
        let mut c = claims(&aud);
        c["tenant"] = json!("t1");
        c
    };
    let with = |f: &dyn Fn(&mut Value, &mut Value)| {
        let mut h = header(&key);
        let mut c = good();
        f(&mut h, &mut c);
        token_with(&key, &h, &c)
    };
    let hs256_with_public_key = {
        let h = json!({"alg": "HS256", "typ": "JWT", "kid": "k1"});
        let msg = format!(
            "{}.{}",
            b64(h.to_string().as_bytes()),
            b64(good().to_string().as_bytes())
        );
        let secret = key.jwk.to_string();
        let sig = jsonwebtoken::crypto::sign(
            msg.as_bytes(),
            &EncodingKey::from_secret(secret.as_bytes()),
            Algorithm::HS256,
        )
        .unwrap();
        format!("{msg}.{sig}")
    };
    let t0 = now();
    use ssc_myositis_cds::auth::AuthError as E;
    let cases: Vec<(&str, Option<String>, E)> = vec![
        ("no Authorization header", None, E::MissingToken),
        (
            "Basic scheme",
            Some("Basic dXNlcjpwYXNz".into()),
            E::MissingToken,
        ),
        (
            "empty bearer",
            Some("Bearer ".into()),
            E::Malformed("not three segments"),
        ),
        (
            "two segments",
            Some("Bearer abc.def".into()),
            E::Malformed("not three segments"),
        ),
        (
            "header not base64url",
            Some("Bearer @@@.e30.c2ln".into()),
            E::Malformed("not base64url"),
        ),
        (
            "header not JSON",
            Some(format!("Bearer {}.e30.c2ln", b64(b"not json"))),
            E::Malformed("not JSON"),
        ),
        (
            "bad signature",
            Some(format!("Bearer {}", {
                let t = with(&|_, _| {});
                let t2 = with(&|_, c| c["jti"] = json!("other"));
                format!(
                    "{}.{}",
                    t.rsplit_once('.').unwrap().0,
                    t2.rsplit('.').next().unwrap()
                )
            })),
            E::BadSignature,
        ),
        (
            "signed by another key with the same kid",
            Some(format!(
                "Bearer {}",
                token_with(&other, &header(&key), &good())
            )),
            E::BadSignature,
        ),
        (
            "alg none",
            Some(format!(
                "Bearer {}.{}.c2ln",
                b64(br#"{"alg":"none","kid":"k1"}"#),
                b64(good().to_string().as_bytes())
            )),
            E::AlgorithmNotAccepted("none".into()),
        ),
        (
            "HS256 signed with the public key",
            Some(format!("Bearer {hs256_with_public_key}")),
            E::AlgorithmNotAccepted("HS256".into()),
        ),
        (
            "PS256 (not accepted)",
            Some(format!(
                "Bearer {}",
                with(&|h, _| h["alg"] = json!("PS256"))
            )),
            E::AlgorithmNotAccepted("PS256".into()),
        ),
        (
            "RS256 header on an EC key",
            Some(format!(
                "Bearer {}",
                with(&|h, _| h["alg"] = json!("RS256"))
            )),
            E::KeyMismatch("key alg differs from token alg"),
        ),
        (
            "ES384 header on a P-256 key",
            Some(format!(
                "Bearer {}",
                token_with(
                    &ec256,
                    &json!({"alg": "ES384", "typ": "JWT", "kid": "k256"}),
                    &good()
                )
            )),
            E::KeyMismatch("key type does not match alg"),
        ),
        (
            "key marked for encryption",
            Some(format!(
                "Bearer {}",
                token_with(&enc_key, &header(&enc_key), &good())
            )),
            E::KeyMismatch("key not for signatures"),
        ),
        (
            "missing kid",
            Some(format!(
                "Bearer {}",
                with(&|h, _| {
                    h.as_object_mut().unwrap().remove("kid");
                })
            )),
            E::MissingKid,
        ),
        (
            "unknown kid",
            Some(format!("Bearer {}", with(&|h, _| h["kid"] = json!("nope")))),
            E::UnknownKid,
        ),
        (
            "wrong typ",
            Some(format!(
                "Bearer {}",
                with(&|h, _| h["typ"] = json!("at+jwt"))
            )),
            E::WrongType,
        ),
        (
            "crit header",
            Some(format!(
                "Bearer {}",
                with(&|h, _| h["crit"] = json!(["exp"]))
            )),
            E::UnsupportedCrit,
        ),
        (
            "expired",
            Some(format!(
                "Bearer {}",
                with(&|_, c| {
                    c["iat"] = json!(t0 - 600);
                    c["exp"] = json!(t0 - 100);
                })
            )),
            E::Expired,
        ),
        (
            "iat in the future",
            Some(format!(
                "Bearer {}",
                with(&|_, c| {
                    c["iat"] = json!(t0 + 120);
                    c["exp"] = json!(t0 + 400);
                })
            )),
            E::IssuedInFuture,
        ),
        (
            "nbf in the future",
            Some(format!(
                "Bearer {}",
                with(&|_, c| c["nbf"] = json!(t0 + 120))
            )),
            E::NotYetValid,
        ),
        (
            "lifetime too long",
            Some(format!(
                "Bearer {}",
                with(&|_, c| c["exp"] = json!(t0 + 3600))
            )),
            E::LifetimeTooLong,
        ),
        (
            "missing exp",
            Some(format!(
                "Bearer {}",
                with(&|_, c| {
                    c.as_object_mut().unwrap().remove("exp");
                })
            )),
            E::MissingClaim("exp"),
        ),
        (
            "wrong aud (another host)",
            Some(format!(
                "Bearer {}",
                with(&|_, c| c["aud"] = json!(format!("https://evil.example.org{SIGN_PATH}")))
            )),
            E::WrongAudience,
        ),
        (
            "aud for another service",
            Some(format!(
                "Bearer {}",
                with(&|_, c| c["aud"] =
                    json!(format!("{BASE}/cds-services/ssc-myositis-order-select")))
            )),
            E::WrongAudience,
        ),
        (
            "aud array without this URL",
            Some(format!(
                "Bearer {}",
                with(&|_, c| c["aud"] = json!(["https://a.example.org", "https://b.example.org"]))
            )),
            E::WrongAudience,
        ),
        (
            "missing aud",
            Some(format!(
                "Bearer {}",
                with(&|_, c| {
                    c.as_object_mut().unwrap().remove("aud");
                })
            )),
            E::MissingClaim("aud"),
        ),
        (
            "untrusted iss",
            Some(format!(
                "Bearer {}",
                with(&|_, c| c["iss"] = json!("https://other-ehr.example.org"))
            )),
            E::UntrustedIssuer,
        ),
        (
            "jku not allowlisted",
            Some(format!(
                "Bearer {}",
                with(&|h, _| h["jku"] = json!("https://attacker.example.org/jwks.json"))
            )),
            E::UntrustedJku,
        ),
        (
            "missing jti",
            Some(format!(
                "Bearer {}",
                with(&|_, c| {
                    c.as_object_mut().unwrap().remove("jti");
                })
            )),
            E::MissingClaim("jti"),
        ),
        (
            "tenant not allowed",
            Some(format!(
                "Bearer {}",
                with(&|_, c| c["tenant"] = json!("t9"))
            )),
            E::TenantNotAllowed,
        ),
        (
            "tenant missing",
            Some(format!(
                "Bearer {}",
                with(&|_, c| {
                    c.as_object_mut().unwrap().remove("tenant");
                })
            )),
            E::TenantNotAllowed,
        ),
        (
            "oversized token",
            Some(format!(
                "Bearer {}",
                with(&|_, c| c["pad"] = json!("x".repeat(9000)))
            )),
            E::TooLarge,
        ),
    ];
    assert!(cases.len() >= 25);
    // The same tokens against a verifier of the same config: each refused for its own reason.
    let direct = Verifier::new(
        AuthConfig::from_toml(
            &inline_config(&[&key, &ec256, &enc_key], "tenants = [\"t1\", \"t2\"]"),
            std::path::Path::new("/tmp/auth.toml"),
        )
        .unwrap(),
    )
    .unwrap();
    for (name, bearer, reason) in &cases {
        let got = direct.verify(bearer.as_deref(), &aud, now()).await.err();
        assert_eq!(got.as_ref(), Some(reason), "{name}");
        let status = call(&s, SIGN_PATH, bearer.as_deref()).await;
        assert_eq!(status, 401, "{name}");
    }
    assert_eq!(state.evaluations.load(Ordering::Relaxed), 0, "no rule ran");

    // Replay: the same token twice.
    let t = format!("Bearer {}", with(&|_, _| {}));
    assert_eq!(call(&s, SIGN_PATH, Some(&t)).await, 200);
    assert_eq!(call(&s, SIGN_PATH, Some(&t)).await, 401, "replayed jti");
    assert_eq!(state.evaluations.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn accepted_algorithms_and_claim_shapes() {
    let keys = [
        ec_key("ES256", "a"),
        ec_key("ES384", "b"),
        ec_key("ES512", "c"),
        rsa_key("RS256", "d"),
        rsa_key("RS384", "e"),
        rsa_key("RS512", "f"),
    ];
    let refs: Vec<&Key> = keys.iter().collect();
    let (s, state) = server(&inline_config(&refs, "")).await;
    let aud = format!("{BASE}{SIGN_PATH}");
    for key in &keys {
        let t = token_with(key, &header(key), &claims(&aud));
        assert_eq!(
            call(&s, SIGN_PATH, Some(&format!("Bearer {t}"))).await,
            200,
            "{}",
            key.alg
        );
    }
    // aud as an array; extra claims as Epic sends (sub, nbf); typ absent.
    let mut c = claims(&aud);
    c["aud"] = json!(["https://other.example.org", aud]);
    c["sub"] = json!("client-id");
    c["nbf"] = json!(now() - 5);
    let t = token_with(&keys[1], &json!({"alg": "ES384", "kid": "b"}), &c);
    assert_eq!(call(&s, SIGN_PATH, Some(&format!("bearer {t}"))).await, 200);
    // Discovery and feedback need a token too; /healthz does not.
    assert_eq!(call(&s, "/cds-services", None).await, 401);
    let t = token_with(
        &keys[0],
        &header(&keys[0]),
        &claims(&format!("{BASE}/cds-services")),
    );
    assert_eq!(
        call(&s, "/cds-services", Some(&format!("Bearer {t}"))).await,
        200
    );
    let fb = s
        .client
        .post(format!("{}{SIGN_PATH}/feedback", s.base))
        .json(&json!({"feedback": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(fb.status().as_u16(), 401);
    let health = s
        .client
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(state.evaluations.load(Ordering::Relaxed), 7);
    // A browser preflight needs no token.
    let pre = s
        .preflight(SIGN_PATH, "https://sandbox.cds-hooks.org")
        .await;
    assert!(pre.status().is_success());
}

/// A JWKS endpoint on loopback that counts its hits.
async fn jwks_server(body: Arc<std::sync::Mutex<String>>, hits: Arc<AtomicUsize>) -> String {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/jwks.json",
        get(move || {
            let body = body.clone();
            let hits = hits.clone();
            async move {
                hits.fetch_add(1, Ordering::Relaxed);
                body.lock().unwrap().clone()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/jwks.json")
}

#[tokio::test]
async fn jwks_url_and_jku_are_cached_and_refreshed_at_most_once_per_interval() {
    let k1 = ec_key("ES384", "k1");
    let k2 = ec_key("ES384", "k2");
    let body = Arc::new(std::sync::Mutex::new(jwks(&[&k1])));
    let hits = Arc::new(AtomicUsize::new(0));
    let url = jwks_server(body.clone(), hits.clone()).await;
    let (s, _) = server(&format!(
        "public_base_url = \"{BASE}\"\njwks_refresh_interval_seconds = 3600\n[[issuer]]\niss = \"{ISS}\"\njwks_url = \"{url}\"\n"
    ))
    .await;
    let aud = format!("{BASE}{SIGN_PATH}");
    let bearer = |k: &Key| format!("Bearer {}", token_with(k, &header(k), &claims(&aud)));
    assert_eq!(call(&s, SIGN_PATH, Some(&bearer(&k1))).await, 200);
    assert_eq!(call(&s, SIGN_PATH, Some(&bearer(&k1))).await, 200);
    assert_eq!(hits.load(Ordering::Relaxed), 1, "cached by kid");
    // A new key appears: the first unknown kid refreshes once...
    *body.lock().unwrap() = jwks(&[&k1, &k2]);
    let unknown = ec_key("ES384", "k3");
    assert_eq!(call(&s, SIGN_PATH, Some(&bearer(&unknown))).await, 401);
    // ...then refreshes are rate-limited (interval 1 h), so k2 is not seen yet.
    assert_eq!(call(&s, SIGN_PATH, Some(&bearer(&k2))).await, 401);
    assert_eq!(
        hits.load(Ordering::Relaxed),
        1,
        "no refresh within the interval after the first fetch"
    );

    // With a zero interval an unknown kid refreshes (once per unknown kid).
    let hits2 = Arc::new(AtomicUsize::new(0));
    let url2 = jwks_server(body.clone(), hits2.clone()).await;
    let (s2, _) = server(&format!(
        "public_base_url = \"{BASE}\"\njwks_refresh_interval_seconds = 0\n[[issuer]]\niss = \"{ISS}\"\njku = [\"{url2}\"]\n"
    ))
    .await;
    let with_jku = |k: &Key| {
        let mut h = header(k);
        h["jku"] = json!(url2);
        format!("Bearer {}", token_with(k, &h, &claims(&aud)))
    };
    assert_eq!(
        call(&s2, SIGN_PATH, Some(&with_jku(&k2))).await,
        200,
        "allowlisted jku followed"
    );
    assert_eq!(hits2.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn an_unreachable_jwks_fails_closed() {
    // A port that was bound and closed: connection refused.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let k = ec_key("ES384", "k1");
    let (s, state) = server(&format!(
        "public_base_url = \"{BASE}\"\njwks_timeout_ms = 500\n[[issuer]]\niss = \"{ISS}\"\njwks_url = \"http://127.0.0.1:{port}/jwks.json\"\n"
    ))
    .await;
    let t = token_with(&k, &header(&k), &claims(&format!("{BASE}{SIGN_PATH}")));
    assert_eq!(call(&s, SIGN_PATH, Some(&format!("Bearer {t}"))).await, 401);
    assert_eq!(state.evaluations.load(Ordering::Relaxed), 0);
}

/// The sandbox example config, as shipped (its JWKS path swapped for a test
/// key, since the sandbox's private key is not part of this project): a token
/// made like the sandbox's (ES384, kid, jku, aud = exact URL, 5 minutes) passes.
#[tokio::test]
async fn a_sandbox_shaped_token_is_accepted_with_the_sandbox_config() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config");
    let shipped = std::fs::read_to_string(root.join("cds-hooks-sandbox.toml")).unwrap();
    // The shipped config loads and names the sandbox's real key.
    let cfg = AuthConfig::from_toml(&shipped, &root.join("cds-hooks-sandbox.toml")).unwrap();
    let jwks_text = std::fs::read_to_string(cfg.issuers[0].jwks_file.as_ref().unwrap()).unwrap();
    assert!(
        jwks_text.contains("44823f3d-0b01-4a6c-a80e-b9d3e8a7226f") && jwks_text.contains("P-384")
    );
    assert!(cfg.issuers[0].development_only);

    let key = ec_key("ES384", "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f");
    let dir = std::env::temp_dir().join(format!("sandbox-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cds-hooks-sandbox-jwks.json"), jwks(&[&key])).unwrap();
    let path = dir.join("cds-hooks-sandbox.toml");
    std::fs::write(&path, &shipped).unwrap();
    let cfg = AuthConfig::from_toml(&shipped, &path).unwrap();
    let mut state = AppState::new(
        Engine::with_defaults().unwrap(),
        Limits::default(),
        AuthMode::Required(Arc::new(Verifier::new(cfg).unwrap())),
    );
    state.public_base_url = Some("http://localhost:8080".into());
    let (s, _) = start_with(state).await;
    let header = json!({"alg": "ES384", "typ": "JWT", "kid": key.kid, "jku": "https://sandbox.cds-hooks.org/.well-known/jwks.json"});
    let claims = json!({"iss": "https://sandbox.cds-hooks.org", "aud": format!("http://localhost:8080{SIGN_PATH}"),
        "exp": now() + 300, "iat": now(), "jti": "sandbox-like-1"});
    let t = token_with(&key, &header, &claims);
    assert_eq!(call(&s, SIGN_PATH, Some(&format!("Bearer {t}"))).await, 200);
}

#[test]
fn config_errors_name_the_problem() {
    let p = std::path::Path::new("/tmp/x/auth.toml");
    let err = |t: &str| AuthConfig::from_toml(t, p).unwrap_err().to_string();
    assert!(err("[[issuer]]\niss = \"a\"\n").contains("no keys"));
    assert!(
        err("[[issuer]]\niss = \"a\"\njwks_url = \"http://ehr.example.org/jwks\"\n")
            .contains("https")
    );
    assert!(err("[[issuer]]\niss = \"a\"\njku = [\"file:///etc/passwd\"]\n").contains("https"));
    assert!(err(
        "[[issuer]]\niss = \"a\"\njwks = \"{}\"\njwks_url = \"https://e.example.org/j\"\n"
    )
    .contains("one of"));
    assert!(err("bogus = 1\n").contains("unknown field"));
}

/// With authentication on, the FHIR servers a caller may name are those of its
/// issuer: listed → queried with the request's token; not listed → 412, no query.
#[tokio::test]
async fn fhir_servers_are_allowed_per_issuer() {
    use common::fhir_stub::{prefetch_resources, Stub};
    let stub = Stub::start().await;
    let full = fixture("S1.json");
    stub.load(prefetch_resources(&full));
    let mut body = full.clone();
    body.as_object_mut().unwrap().remove("prefetch");
    body["fhirServer"] = json!(stub.base);
    body["fhirAuthorization"] = json!({"access_token": "ehr-token", "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read", "subject": "c"});
    let key = ec_key("ES384", "k1");
    let aud = format!("{BASE}{SIGN_PATH}");
    for (extra, status) in [
        (format!("fhir_servers = [\"{}\"]", stub.base), 200),
        (String::new(), 412),
    ] {
        let (s, _) = server(&inline_config(&[&key], &extra)).await;
        let t = token_with(&key, &header(&key), &claims(&aud));
        let r = s
            .client
            .post(format!("{}{SIGN_PATH}", s.base))
            .bearer_auth(t)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{extra}");
        let v: Value = r.json().await.unwrap();
        if status == 200 {
            check_response(&v, Some("S1"));
            assert!(has(&v, "src-risk-high-dose-gc", "warning"));
            assert!(stub
                .seen()
                .iter()
                .all(|(_, a)| a.as_deref() == Some("Bearer ehr-token")));
        } else {
            assert!(v.to_string().contains("not in the allowlist"), "{v}");
        }
    }
    assert_eq!(
        stub.seen().len(),
        9,
        "only the allowed issuer's call reached the server"
    );
}
