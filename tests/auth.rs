//! Trusting CDS clients over real HTTP: a negative matrix of tokens that must
//! each get 401 without the rules running (overflowing time claims among
//! them), the accepted algorithms, JWKS by URL and jku with caching and
//! rate-limited refresh, the sandbox config, and these attacks: an
//! audience taken from the Host header, short RSA keys, two Authorization
//! headers, vendor token lifetimes, and a slow or failing JWKS endpoint.

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
use ssc_myositis_cds::http::{serve_listener, AppState, AuthMode, Limits};

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
    state = state.with_public_base_url(Some(BASE.into()));
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
                with(&|_, c| c["exp"] = json!(t0 + 7200))
            )),
            E::LifetimeTooLong,
        ),
        (
            "iat -1e19, exp ten years ahead (overflowed exp - iat)",
            Some(format!(
                "Bearer {}",
                with(&|_, c| {
                    c["iat"] = json!(-1e19);
                    c["exp"] = json!(t0 + 10 * 365 * 86400);
                })
            )),
            E::TimeOutOfRange("iat"),
        ),
        (
            "iat i64::MIN",
            Some(format!(
                "Bearer {}",
                with(&|_, c| c["iat"] = json!(i64::MIN))
            )),
            E::TimeOutOfRange("iat"),
        ),
        (
            "exp 1e300 (overflowed exp + leeway)",
            Some(format!("Bearer {}", with(&|_, c| c["exp"] = json!(1e300)))),
            E::TimeOutOfRange("exp"),
        ),
        (
            "exp before iat",
            Some(format!("Bearer {}", with(&|_, c| c["exp"] = json!(t0 - 5)))),
            E::Malformed("exp before iat"),
        ),
        (
            "nbf not a number",
            Some(format!("Bearer {}", with(&|_, c| c["nbf"] = json!("soon")))),
            E::Malformed("time claim not a number"),
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
    state = state.with_public_base_url(Some("http://localhost:8080".into()));
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
        10,
        "only the allowed issuer's call (one query per prefetch key) reached the server"
    );
}

/// Serves `state` through the production server setup on an ephemeral
/// loopback port, without a public base URL unless the state has one.
async fn served(mut state: AppState) -> (Server, Arc<AppState>) {
    state = state.on(Some(
        chrono::NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap(),
    ));
    let state = Arc::new(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve_listener(
        state.clone(),
        listener,
        std::future::pending(),
    ));
    (
        Server {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
        },
        state,
    )
}

fn verifier(config: &str) -> Arc<Verifier> {
    Arc::new(
        Verifier::new(
            AuthConfig::from_toml(config, std::path::Path::new("/tmp/auth.toml")).unwrap(),
        )
        .unwrap(),
    )
}

fn issuer_config(keys: &[&Key], extra: &str) -> String {
    format!(
        "[[issuer]]\niss = \"{ISS}\"\njwks = '''{}'''\n{extra}\n",
        jwks(keys)
    )
}

/// Without `public_base_url` the audience is the listen address, never the
/// Host header: a token minted for another service is refused whatever host
/// the caller names.
#[tokio::test]
async fn the_audience_is_never_taken_from_the_host_header() {
    let key = ec_key("ES384", "k1");
    let (s, state) = served(AppState::new(
        Engine::with_defaults().unwrap(),
        Limits::default(),
        AuthMode::Required(verifier(&issuer_config(&[&key], ""))),
    ))
    .await;
    let other = "other-service.example.org";
    let t = token_with(
        &key,
        &header(&key),
        &claims(&format!("http://{other}{SIGN_PATH}")),
    );
    let r = s
        .client
        .post(format!("{}{SIGN_PATH}", s.base))
        .header("host", other)
        .bearer_auth(&t)
        .json(&fixture("S1.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401, "token for another host refused");
    check_operation_outcome(&r.json().await.unwrap());
    // A token for the address actually listened on is accepted.
    let t = token_with(
        &key,
        &header(&key),
        &claims(&format!("{}{SIGN_PATH}", s.base)),
    );
    assert_eq!(call(&s, SIGN_PATH, Some(&format!("Bearer {t}"))).await, 200);
    assert_eq!(state.evaluations.load(Ordering::Relaxed), 1);

    // An issuer's own audiences replace the service-wide base.
    let config = issuer_config(&[&key], "audiences = [\"https://cds.hospital.example\"]");
    let (s, _) = served(AppState::new(
        Engine::with_defaults().unwrap(),
        Limits::default(),
        AuthMode::Required(verifier(&config)),
    ))
    .await;
    let good = token_with(
        &key,
        &header(&key),
        &claims(&format!("https://cds.hospital.example{SIGN_PATH}")),
    );
    let local = token_with(
        &key,
        &header(&key),
        &claims(&format!("{}{SIGN_PATH}", s.base)),
    );
    assert_eq!(
        call(&s, SIGN_PATH, Some(&format!("Bearer {good}"))).await,
        200
    );
    assert_eq!(
        call(&s, SIGN_PATH, Some(&format!("Bearer {local}"))).await,
        401
    );
}

/// Off loopback, trusted issuers need a configured audience: start-up stops.
#[test]
fn off_loopback_trusted_issuers_need_a_configured_audience() {
    let key = ec_key("ES384", "k1");
    let dir = std::env::temp_dir().join(format!("aud-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |config: String| {
        let path = dir.join("auth.toml");
        std::fs::write(&path, config).unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ssc-myositis-cds"))
            .args([
                "serve",
                "--listen",
                "0.0.0.0:0",
                "--auth-config",
                path.to_str().unwrap(),
            ])
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Refused (exits, stderr ends), or serving (says it listens).
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            let mut text = String::new();
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if line.contains("listening") {
                    let _ = tx.send((true, text));
                    return;
                }
                text.push_str(&line);
                text.push('\n');
            }
            let _ = tx.send((false, text));
        });
        let (serving, err) = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the service neither started nor stopped");
        if serving {
            child.kill().unwrap();
        }
        let status = child.wait().unwrap();
        (if serving { None } else { status.code() }, err)
    };
    let (code, err) = run(issuer_config(&[&key], ""));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no public_base_url"), "{err}");
    // With a public base URL, or audiences for every issuer, it serves.
    assert_eq!(run(inline_config(&[&key], "")).0, None);
    assert_eq!(
        run(issuer_config(&[&key], &format!("audiences = [\"{BASE}\"]"))).0,
        None
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An RSA key shorter than 2048 bits in a trusted JWKS is never used.
#[tokio::test]
async fn short_rsa_keys_are_not_used() {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    let aud = format!("{BASE}{SIGN_PATH}");
    for (bits, accepted) in [(1024, false), (2048, true)] {
        let sk = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, bits).unwrap();
        let kid = format!("rsa-{bits}");
        let jwk = json!({"kty": "RSA", "kid": kid, "n": b64(&sk.n().to_bytes_be()), "e": b64(&sk.e().to_bytes_be())});
        // Signed with the rsa crate: the service's signature backend
        // (AWS-LC) refuses to sign with a key this short at all.
        let sign: Signer = if bits < 2048 {
            Box::new(move |m| {
                use rsa::sha2::{Digest, Sha256};
                let sig = sk
                    .sign(rsa::Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(m))
                    .unwrap();
                b64(&sig)
            })
        } else {
            let enc = EncodingKey::from_rsa_der(sk.to_pkcs1_der().unwrap().as_bytes());
            Box::new(move |m| jsonwebtoken::crypto::sign(m, &enc, Algorithm::RS256).unwrap())
        };
        let key = Key {
            alg: "RS256",
            kid: kid.clone(),
            jwk,
            sign,
        };
        let v = verifier(&inline_config(&[&key], ""));
        let t = format!("Bearer {}", token_with(&key, &header(&key), &claims(&aud)));
        let got = v.verify(Some(&t), &aud, now()).await;
        if accepted {
            assert!(got.is_ok(), "{bits}: {got:?}");
        } else {
            assert_eq!(
                got.err(),
                Some(ssc_myositis_cds::auth::AuthError::KeyMismatch(
                    "RSA key shorter than 2048 bits"
                )),
                "{bits}"
            );
        }
    }
}

/// Two Authorization headers: refused (401 with an OperationOutcome),
/// whichever comes first.
#[tokio::test]
async fn two_authorization_headers_are_refused() {
    let key = ec_key("ES384", "k1");
    let (s, state) = server(&inline_config(&[&key], "")).await;
    let aud = format!("{BASE}{SIGN_PATH}");
    let good = || format!("Bearer {}", token_with(&key, &header(&key), &claims(&aud)));
    for second in ["Bearer garbage".to_string(), good()] {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.append("authorization", good().parse().unwrap());
        headers.append("authorization", second.parse().unwrap());
        let r = s
            .client
            .post(format!("{}{SIGN_PATH}", s.base))
            .headers(headers)
            .json(&fixture("S1.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "second header {second:?}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        check_operation_outcome(&r.json().await.unwrap());
    }
    assert_eq!(state.evaluations.load(Ordering::Relaxed), 0);
}

/// Epic's documented CDS Hooks token (RS384, exp - iat = 900 s,
/// nbf = iat - 300 s) passes the default cap; an issuer's own cap applies to
/// that issuer only.
#[tokio::test]
async fn the_lifetime_cap_admits_vendor_tokens_and_is_per_issuer() {
    let key = rsa_key("RS384", "epic-like");
    let aud = format!("{BASE}{SIGN_PATH}");
    let epic = |iss: &str| {
        let iat = now();
        let c = json!({"iss": iss, "aud": aud, "sub": "client-id", "iat": iat, "nbf": iat - 300,
            "exp": iat + 900, "jti": format!("epic-{}", JTI.fetch_add(1, Ordering::Relaxed))});
        let h = json!({"alg": "RS384", "typ": "JWT", "kid": "epic-like"});
        format!("Bearer {}", token_with(&key, &h, &c))
    };
    let v = verifier(&inline_config(&[&key], ""));
    assert!(v.verify(Some(&epic(ISS)), &aud, now()).await.is_ok());
    let strict = "https://strict.example.org";
    let config = format!(
        "{}[[issuer]]\niss = \"{strict}\"\nmax_lifetime_seconds = 300\njwks = '''{}'''\n",
        inline_config(&[&key], ""),
        jwks(&[&key])
    );
    let v = verifier(&config);
    assert!(v.verify(Some(&epic(ISS)), &aud, now()).await.is_ok());
    assert_eq!(
        v.verify(Some(&epic(strict)), &aud, now()).await.err(),
        Some(ssc_myositis_cds::auth::AuthError::LifetimeTooLong)
    );
}

/// A JWKS endpoint that answers only while its gate has permits, counting
/// its hits, with a settable status.
struct SlowJwks {
    url: String,
    hits: Arc<AtomicUsize>,
    gate: Arc<tokio::sync::Semaphore>,
    status: Arc<std::sync::Mutex<u16>>,
}

async fn slow_jwks(body: String) -> SlowJwks {
    use axum::routing::get;
    let hits = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(tokio::sync::Semaphore::new(1000));
    let status = Arc::new(std::sync::Mutex::new(200u16));
    let (h, g, st) = (hits.clone(), gate.clone(), status.clone());
    let app = axum::Router::new().route(
        "/jwks.json",
        get(move || {
            let (h, g, st, body) = (h.clone(), g.clone(), st.clone(), body.clone());
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                g.acquire().await.unwrap().forget();
                let code = *st.lock().unwrap();
                (axum::http::StatusCode::from_u16(code).unwrap(), body)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    SlowJwks {
        url: format!("http://{addr}/jwks.json"),
        hits,
        gate,
        status,
    }
}

/// While the JWKS endpoint hangs, callers with random kids do not stall
/// callers whose kid is known: one fetch is in flight, the unknown kids are
/// refused after a bounded wait, the known kid is answered at once.
#[tokio::test]
async fn a_slow_jwks_never_stalls_callers_with_known_keys() {
    let k1 = ec_key("ES384", "k1");
    let stub = slow_jwks(jwks(&[&k1])).await;
    let config = format!(
        "public_base_url = \"{BASE}\"\njwks_refresh_interval_seconds = 0\njwks_timeout_ms = 60000\njwks_wait_ms = 200\n[[issuer]]\niss = \"{ISS}\"\njwks_url = \"{}\"\n",
        stub.url
    );
    let v = verifier(&config);
    let aud = format!("{BASE}{SIGN_PATH}");
    let bearer = |k: &Key| format!("Bearer {}", token_with(k, &header(k), &claims(&aud)));
    assert!(v.verify(Some(&bearer(&k1)), &aud, now()).await.is_ok());
    assert_eq!(stub.hits.load(Ordering::SeqCst), 1);

    // The endpoint now hangs.
    stub.gate.forget_permits(1000);
    let attackers: Vec<_> = (0..20)
        .map(|i| {
            let v = v.clone();
            let t = bearer(&ec_key("ES384", &format!("random-{i}")));
            let aud = aud.clone();
            tokio::spawn(async move { v.verify(Some(&t), &aud, now()).await })
        })
        .collect();
    // Wait until the attackers' fetch has reached the endpoint.
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while stub.hits.load(Ordering::SeqCst) < 2 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("a refresh was started");
    // A known kid is answered while the fetch hangs (a stall trips the guard).
    for _ in 0..5 {
        let got = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            v.verify(Some(&bearer(&k1)), &aud, now()),
        )
        .await
        .expect("a caller with a known kid was stalled by the JWKS fetch");
        assert!(got.is_ok());
    }
    for a in attackers {
        let got = tokio::time::timeout(std::time::Duration::from_secs(10), a)
            .await
            .expect("unknown kids wait a bounded time")
            .unwrap();
        assert!(
            matches!(
                got,
                Err(ssc_myositis_cds::auth::AuthError::JwksUnavailable(_))
            ),
            "{got:?}"
        );
    }
    assert_eq!(
        stub.hits.load(Ordering::SeqCst),
        2,
        "one fetch in flight, not one per caller"
    );
    assert_eq!(
        stub.gate.available_permits(),
        0,
        "the fetch was still hanging"
    );
    stub.gate.add_permits(1000);
}

/// A failed refresh is remembered for the refresh interval: unknown kids do
/// not hammer a failing JWKS endpoint.
#[tokio::test]
async fn a_failed_jwks_refresh_is_remembered_for_the_interval() {
    let k1 = ec_key("ES384", "k1");
    let stub = slow_jwks(jwks(&[&k1])).await;
    let config = format!(
        "public_base_url = \"{BASE}\"\njwks_refresh_interval_seconds = 3600\n[[issuer]]\niss = \"{ISS}\"\njwks_url = \"{}\"\n",
        stub.url
    );
    let v = verifier(&config);
    let aud = format!("{BASE}{SIGN_PATH}");
    *stub.status.lock().unwrap() = 500;
    for i in 0..5 {
        let k = ec_key("ES384", &format!("k{i}"));
        let t = format!("Bearer {}", token_with(&k, &header(&k), &claims(&aud)));
        let got = v.verify(Some(&t), &aud, now()).await;
        assert!(
            matches!(
                got,
                Err(ssc_myositis_cds::auth::AuthError::JwksUnavailable(_))
            ),
            "{i}: {got:?}"
        );
    }
    assert_eq!(
        stub.hits.load(Ordering::SeqCst),
        1,
        "the failure was remembered"
    );
}

/// The JWKS URLs are fetched when the server starts, so that the first
/// calls find their keys cached.
#[tokio::test]
async fn jwks_urls_are_fetched_at_start() {
    let k1 = ec_key("ES384", "k1");
    let stub = slow_jwks(jwks(&[&k1])).await;
    let config = format!(
        "public_base_url = \"{BASE}\"\njwks_refresh_interval_seconds = 3600\n[[issuer]]\niss = \"{ISS}\"\njwks_url = \"{}\"\n",
        stub.url
    );
    let mut state = AppState::new(
        Engine::with_defaults().unwrap(),
        Limits::default(),
        AuthMode::Required(verifier(&config)),
    );
    state = state.with_public_base_url(Some(BASE.into()));
    let (s, _) = served(state).await;
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while stub.hits.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the JWKS was fetched before any call");
    let t = token_with(&k1, &header(&k1), &claims(&format!("{BASE}{SIGN_PATH}")));
    assert_eq!(call(&s, SIGN_PATH, Some(&format!("Bearer {t}"))).await, 200);
    assert_eq!(stub.hits.load(Ordering::SeqCst), 1);
}
