//! Any text as an `Authorization` header value: never a panic, never accepted.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ssc_myositis_cds::auth::{AuthConfig, Verifier};

const CONFIG: &str = r#"
public_base_url = "https://cds.example.org"
[[issuer]]
iss = "https://sandbox.cds-hooks.org"
jwks = '''{"keys":[{"kty":"EC","use":"sig","crv":"P-384","kid":"44823f3d-0b01-4a6c-a80e-b9d3e8a7226f",
  "x":"dw_JGR8nB2I6XveNxUOl2qk699ZPLM2nYI5STSdiEl9avAkrm3CkfYMbrrjr8laB",
  "y":"Sm3mLE-n1zYNla_aiE3cb3nZsL51RbC7ysw3q8aJLxGm-hx79RPMYpITDjp7kgzy","alg":"ES384"},
  {"kty":"RSA","kid":"r","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"}]}'''
"#;

fn verifier() -> &'static (Verifier, tokio::runtime::Runtime) {
    static V: OnceLock<(Verifier, tokio::runtime::Runtime)> = OnceLock::new();
    V.get_or_init(|| {
        let cfg = AuthConfig::from_toml(CONFIG, std::path::Path::new("fuzz.toml")).expect("config");
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        (Verifier::new(cfg).expect("verifier"), rt)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (v, rt) = verifier();
    let aud = "https://cds.example.org/cds-services/ssc-myositis-order-sign";
    for header in [text.to_string(), format!("Bearer {text}")] {
        // Nobody holds these keys' private halves here: nothing may verify.
        let result = rt.block_on(v.verify(Some(&header), aud, 1_800_000_000));
        assert!(result.is_err());
    }
});
