//! The committed openapi.json is the document the code generates, and the
//! service serves it. Regenerate with SSC_CDS_UPDATE_OPENAPI=1 cargo test --test openapi.

mod common;

use std::path::PathBuf;

use serde_json::Value;
use ssc_myositis_cds::http::openapi::document;

#[tokio::test]
async fn the_committed_document_is_the_generated_one_and_is_served() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let generated = document();
    if std::env::var_os("SSC_CDS_UPDATE_OPENAPI").is_some() {
        std::fs::write(&file, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.json is out of date: run SSC_CDS_UPDATE_OPENAPI=1 cargo test --test openapi"
    );
    let doc: Value = serde_json::from_str(&generated).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");

    let s = common::start().await;
    let r = s
        .client
        .get(format!("{}/openapi.json", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let served: Value = r.json().await.unwrap();
    assert_eq!(served, doc);

    // Every documented operation is routed: none answers with the
    // unknown-route or wrong-method error.
    let ids = doc["paths"]["/cds-services/{id}"]["post"]["parameters"][0]["schema"]["enum"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!ids.is_empty());
    let rules = doc["paths"]["/guidance/{rule}"]["get"]["parameters"][0]["schema"]["enum"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!rules.is_empty());
    for (path, item) in doc["paths"].as_object().unwrap() {
        let path = path
            .replace("{id}", ids[0].as_str().unwrap())
            .replace("{rule}", rules[0].as_str().unwrap());
        for method in item.as_object().unwrap().keys() {
            let req = match method.as_str() {
                "get" => s.client.get(format!("{}{path}", s.base)),
                "post" => s
                    .client
                    .post(format!("{}{path}", s.base))
                    .header("content-type", "application/json")
                    .body("{}"),
                other => panic!("undocumented method {other}"),
            };
            let status = req.send().await.unwrap().status().as_u16();
            assert!(status != 405, "{method} {path}: {status}");
            if status == 404 {
                // Only the report answers 404, and only for want of a store.
                assert!(path.starts_with("/admin/report"), "{method} {path}: 404");
            }
        }
    }
}
