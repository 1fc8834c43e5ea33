//! The record store, the same tests on SQLite and on PostgreSQL (when
//! `SSC_CDS_TEST_POSTGRES` is set; `.ci/run` sets it).

mod common;

use common::store_support::TestDb;
use ssc_myositis_cds::store::feedback::{Outcome, ReasonCoding};
use ssc_myositis_cds::store::{AuditCard, FeedbackRecord, Filed, Store};

fn card(uuid: &str, rule: &str, issued_at_ms: i64) -> AuditCard {
    AuditCard {
        card_uuid: uuid.into(),
        service_id: "ssc-myositis-order-sign".into(),
        hook: "order-sign".into(),
        hook_instance: "hi-1".into(),
        rule_system: "https://ssc-myositis-cds.example.org/fhir/CodeSystem/rule".into(),
        rule_code: rule.into(),
        rule_display: format!("{rule} display"),
        indicator: "warning".into(),
        summary: "summary".into(),
        suggestion_uuids: vec![format!("{uuid}-s1"), format!("{uuid}-s2")],
        suggestion_keys: vec![],
        policy_version: "abc123".into(),
        service_version: "0.1.0".into(),
        patient_hmac: "f".repeat(64),
        issued_at_ms,
        issuer: "https://ehr.example.org".into(),
        tenant: String::new(),
        drafts_key: String::new(),
        status: ssc_myositis_cds::store::CardStatus::Shown,
    }
}

fn fb(card: &str, outcome: Outcome, at: i64, code: Option<&str>) -> FeedbackRecord {
    FeedbackRecord {
        service_id: "ssc-myositis-order-sign".into(),
        card_uuid: card.into(),
        outcome,
        outcome_at_ms: at,
        accepted_suggestions: if outcome == Outcome::Accepted {
            vec![format!("{card}-s1")]
        } else {
            vec![]
        },
        reason: code.map(|c| ReasonCoding {
            system: "https://ssc-myositis-cds.example.org/fhir/CodeSystem/override-reason".into(),
            code: c.into(),
            display: Some(format!("{c} display")),
        }),
        category: code.map(|_| "cds-not-applicable"),
        user_comment: code.map(|_| "comment".into()),
        received_at_ms: at + 1,
        issuer: "https://ehr.example.org".into(),
        tenant: String::new(),
    }
}

/// Runs `test` on every configured database.
async fn on_each<F, Fut>(test: F)
where
    F: Fn(Store, &'static str) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for db in TestDb::all().await {
        let store = db.open().await;
        test(store.clone(), db.name).await;
        store.close().await;
        db.drop_db().await;
    }
}

const DAY: i64 = 86_400_000;
const T0: i64 = 1_795_478_400_000; // 2026-11-24T00:00:00Z

#[tokio::test]
async fn a_jti_is_claimed_once_per_issuer_until_it_expires() {
    on_each(|s, db| async move {
        let now = chrono::Utc::now().timestamp();
        assert!(s.claim_jti("iss-a", "j1", now + 300).await.unwrap(), "{db}");
        assert!(
            !s.claim_jti("iss-a", "j1", now + 300).await.unwrap(),
            "{db}: replay"
        );
        assert!(
            s.claim_jti("iss-b", "j1", now + 300).await.unwrap(),
            "{db}: other issuer"
        );
        // An expired record no longer blocks the id.
        assert!(s.claim_jti("iss-a", "old", now - 10).await.unwrap());
        assert!(
            s.claim_jti("iss-a", "old", now + 300).await.unwrap(),
            "{db}"
        );
        assert!(
            !s.claim_jti("iss-a", "old", now + 300).await.unwrap(),
            "{db}"
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_claims_of_one_jti_have_exactly_one_winner() {
    on_each(|s, db| async move {
        let exp = chrono::Utc::now().timestamp() + 300;
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { s.claim_jti("iss", "race", exp).await.unwrap() })
            })
            .collect();
        let mut wins = 0;
        for t in tasks {
            wins += t.await.unwrap() as usize;
        }
        assert_eq!(wins, 1, "{db}");
    })
    .await;
}

#[tokio::test]
async fn cards_are_recorded_whole_and_read_back() {
    on_each(|s, db| async move {
        let cards = [card("c1", "gc-dose", T0), card("c2", "mtx-dose", T0 + 5)];
        s.record_cards(&cards).await.unwrap();
        assert_eq!(
            s.card("c1").await.unwrap().as_ref(),
            Some(&cards[0]),
            "{db}"
        );
        assert_eq!(s.card_uuids().await.unwrap(), vec!["c1", "c2"], "{db}");
        // A batch with a duplicate uuid fails as a whole: nothing of it is kept.
        let err = s
            .record_cards(&[card("c3", "x", T0), card("c1", "x", T0)])
            .await;
        assert!(err.is_err(), "{db}");
        assert!(s.card("c3").await.unwrap().is_none(), "{db}");
    })
    .await;
}

#[tokio::test]
async fn the_same_feedback_item_is_stored_once() {
    on_each(|s, db| async move {
        s.record_cards(&[card("c1", "gc-dose", T0)]).await.unwrap();
        let item = fb(
            "c1",
            Outcome::Overridden,
            T0 + 60_000,
            Some("dose-appropriate"),
        );
        assert_eq!(
            s.record_feedback(std::slice::from_ref(&item), false)
                .await
                .unwrap(),
            vec![Filed::New]
        );
        assert_eq!(
            s.record_feedback(std::slice::from_ref(&item), false)
                .await
                .unwrap(),
            vec![Filed::Repeated],
            "{db}"
        );
        let stored = s.feedback_for("c1").await.unwrap();
        assert_eq!(stored, vec![item], "{db}");
        // Another outcome for the same card is another item.
        let acc = fb("c1", Outcome::Accepted, T0 + 120_000, None);
        assert_eq!(
            s.record_feedback(&[acc], false).await.unwrap(),
            vec![Filed::New]
        );
        assert_eq!(s.feedback_for("c1").await.unwrap().len(), 2, "{db}");
    })
    .await;
}

#[tokio::test]
async fn the_report_counts_cards_feedback_reasons_and_unmatched_items() {
    on_each(|s, db| async move {
        s.record_cards(&[
            card("a1", "gc-dose", T0),
            card("a2", "gc-dose", T0 + 1),
            card("a3", "gc-dose", T0 + DAY),
            card("b1", "mtx-dose", T0 + DAY),
            card("old", "gc-dose", T0 - 10 * DAY),
        ])
        .await
        .unwrap();
        s.record_feedback(
            &[
                fb("a1", Outcome::Accepted, T0 + 10, None),
                fb("a2", Outcome::Overridden, T0 + 10, Some("dose-appropriate")),
                fb(
                    "a3",
                    Outcome::Overridden,
                    T0 + DAY + 10,
                    Some("dose-appropriate"),
                ),
                fb(
                    "b1",
                    Outcome::Overridden,
                    T0 + DAY + 10,
                    Some("patient-declined"),
                ),
                fb("never-issued", Outcome::Overridden, T0 + 10, None),
            ],
            false,
        )
        .await
        .unwrap();
        let r = s.report(T0, None).await.unwrap();
        assert_eq!(r.services.len(), 1, "{db}");
        let svc = &r.services[0];
        assert_eq!(
            (svc.counts.shown, svc.counts.accepted, svc.counts.overridden),
            (4, 1, 3),
            "{db}"
        );
        assert_eq!(svc.unmatched_feedback, 1, "{db}");
        assert_eq!(r.unmatched_feedback, 1);
        let gc = r.rules.iter().find(|x| x.rule == "gc-dose").unwrap();
        assert_eq!(
            (gc.counts.shown, gc.counts.accepted, gc.counts.overridden),
            (3, 1, 2),
            "{db}"
        );
        assert_eq!(gc.counts.acceptance_rate, 0.3333);
        assert_eq!(
            gc.top_override_reasons[0].code.as_deref(),
            Some("dose-appropriate")
        );
        assert_eq!(gc.top_override_reasons[0].count, 2, "{db}");
        assert_eq!(
            gc.top_override_reasons[0].category.as_deref(),
            Some("cds-not-applicable")
        );
        // Two days for gc-dose, one for mtx-dose.
        assert_eq!(r.daily.len(), 3, "{db}: {:?}", r.daily);
        // All time includes the old card.
        assert_eq!(
            s.report(0, None).await.unwrap().services[0].counts.shown,
            5,
            "{db}"
        );
    })
    .await;
}

/// Suggestions count as offered on cards shown (not on held-back or re-sent
/// ones) and as accepted once per card, under what they offer; an accepted
/// id that is none of the card's suggestions is counted under ''.
#[tokio::test]
async fn suggestions_are_counted_offered_and_accepted_per_suggestion_and_kind() {
    use ssc_myositis_cds::store::CardStatus;
    on_each(|s, db| async move {
        let named = |uuid: &str, status: CardStatus| AuditCard {
            suggestion_keys: vec!["medication/methotrexate".into(), "test/creatinine".into()],
            status,
            ..card(uuid, "mtx-dose", T0)
        };
        s.record_cards(&[
            named("m1", CardStatus::Shown),
            named("m2", CardStatus::Shown),
            named("m3", CardStatus::Resent),
            named(
                "m4",
                CardStatus::Suppressed {
                    follows: "m1".into(),
                },
            ),
        ])
        .await
        .unwrap();
        let accept = |card: &str, at: i64, ids: &[&str]| FeedbackRecord {
            accepted_suggestions: ids.iter().map(|i| i.to_string()).collect(),
            ..fb(card, Outcome::Accepted, at, None)
        };
        s.record_feedback(
            &[
                // m1: methotrexate, then again with creatinine: each once.
                accept("m1", T0 + 10, &["m1-s1", "m1-s1"]),
                accept("m1", T0 + 20, &["m1-s1", "m1-s2"]),
                // m2: an id that is none of its suggestions.
                accept("m2", T0 + 10, &["m2-s9"]),
            ],
            false,
        )
        .await
        .unwrap();
        // The same item again is a repeat: nothing more counted.
        s.record_feedback(&[accept("m1", T0 + 20, &["m1-s1", "m1-s2"])], false)
            .await
            .unwrap();
        let r = s.report(0, None).await.unwrap();
        let got: Vec<(&str, &str, i64, i64)> = r
            .suggestions
            .iter()
            .map(|x| {
                (
                    x.suggestion.as_str(),
                    x.kind.as_str(),
                    x.offered,
                    x.accepted,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("", "unknown", 0, 1),
                ("medication/methotrexate", "medication", 2, 1),
                ("test/creatinine", "test", 2, 1),
            ],
            "{db}"
        );
        let kinds: Vec<(&str, i64, i64)> = r
            .suggestion_kinds
            .iter()
            .map(|k| (k.kind.as_str(), k.offered, k.accepted))
            .collect();
        assert_eq!(
            kinds,
            vec![("medication", 2, 1), ("test", 2, 1), ("unknown", 0, 1)],
            "{db}"
        );
        // The card keeps what its suggestions offer.
        assert_eq!(
            s.card("m1").await.unwrap().unwrap().suggestion_keys,
            ["medication/methotrexate", "test/creatinine"],
            "{db}"
        );
        // Past retention, the counters go with their rows.
        s.purge(T0 + 2 * DAY, chrono::Utc::now().timestamp())
            .await
            .unwrap();
        assert!(
            s.report(0, None).await.unwrap().suggestions.is_empty(),
            "{db}"
        );
    })
    .await;
}

#[tokio::test]
async fn purge_removes_what_is_past_retention_and_expired_token_ids() {
    on_each(|s, db| async move {
        let now = chrono::Utc::now().timestamp();
        s.record_cards(&[card("old", "r", T0 - 400 * DAY), card("new", "r", T0)])
            .await
            .unwrap();
        s.record_feedback(
            &[
                fb("old", Outcome::Overridden, T0 - 400 * DAY, None),
                fb("new", Outcome::Overridden, T0, None),
            ],
            false,
        )
        .await
        .unwrap();
        s.claim_jti("iss", "expired", now - 100).await.unwrap();
        s.claim_jti("iss", "live", now + 100).await.unwrap();
        let p = s.purge(T0 - 365 * DAY, now).await.unwrap();
        assert_eq!((p.cards, p.feedback, p.replay_ids), (1, 1, 1), "{db}");
        assert_eq!(s.card_uuids().await.unwrap(), vec!["new"], "{db}");
        assert_eq!(s.feedback_for("old").await.unwrap().len(), 0);
        assert!(
            !s.claim_jti("iss", "live", now + 100).await.unwrap(),
            "{db}"
        );
    })
    .await;
}

#[tokio::test]
async fn reopening_keeps_everything_and_migrations_run_once() {
    for db in TestDb::all().await {
        let s = db.open().await;
        s.record_cards(&[card("keep", "r", T0)]).await.unwrap();
        s.close().await;
        let s = db.open().await;
        assert!(s.card("keep").await.unwrap().is_some(), "{}", db.name);
        s.close().await;
        db.drop_db().await;
    }
}

/// A hook call's token claim and its cards are one transaction: the cards of
/// a replayed token are not written, and a claim already made is refused.
#[tokio::test]
async fn cards_are_written_with_their_tokens_claim_or_not_at_all() {
    on_each(|s, db| async move {
        let exp = chrono::Utc::now().timestamp() + 300;
        let first = s
            .record_cards_claiming(&[card("t1", "r", T0)], "iss", "jti-1", exp)
            .await
            .unwrap();
        assert!(first, "{db}");
        let replay = s
            .record_cards_claiming(&[card("t2", "r", T0)], "iss", "jti-1", exp)
            .await
            .unwrap();
        assert!(!replay, "{db}");
        assert_eq!(s.card_uuids().await.unwrap(), vec!["t1"], "{db}");
        // The claim stands for a later check through the verifier's path.
        assert!(!s.claim_jti("iss", "jti-1", exp).await.unwrap(), "{db}");
        // Concurrent calls with one token: exactly one gets its cards written.
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    s.record_cards_claiming(&[card(&format!("c{i}"), "r", T0)], "iss", "jti-2", exp)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut won = vec![];
        for t in tasks {
            won.push(t.await.unwrap());
        }
        assert_eq!(won.iter().filter(|w| **w).count(), 1, "{db}");
        assert_eq!(s.card_uuids().await.unwrap().len(), 2, "{db}");
    })
    .await;
}

/// The daily counters the writer keeps as it writes give the same report
/// as counting every stored row afresh (the migration's backfill).
#[tokio::test]
async fn the_counters_kept_while_writing_match_a_count_of_the_rows() {
    use sqlx::{Connection, Executor};
    for db in TestDb::all().await {
        let s = db.open().await;
        s.record_cards(&[card("a1", "gc-dose", T0), card("a2", "gc-dose", T0 + 1)])
            .await
            .unwrap();
        s.record_cards(&[
            card("a3", "gc-dose", T0 + DAY),
            card("b1", "mtx-dose", T0 - 3 * DAY),
        ])
        .await
        .unwrap();
        // Two accepted items on one card count the card once; each override
        // item counts under its reason; a repeat counts nothing.
        s.record_feedback(
            &[
                fb("a1", Outcome::Accepted, T0 + 10, None),
                fb("a1", Outcome::Accepted, T0 + 20, None),
                fb("a2", Outcome::Overridden, T0 + 10, Some("dose-appropriate")),
                fb("a2", Outcome::Overridden, T0 + 30, Some("patient-declined")),
                fb("b1", Outcome::Overridden, T0 + 10, None),
                fb("nobody", Outcome::Overridden, T0 + 10, None),
            ],
            false,
        )
        .await
        .unwrap();
        s.record_feedback(&[fb("a1", Outcome::Accepted, T0 + 10, None)], false)
            .await
            .unwrap();
        let kept = s.report(0, None).await.unwrap();
        let gc = kept.rules.iter().find(|r| r.rule == "gc-dose").unwrap();
        assert_eq!(
            (gc.counts.shown, gc.counts.accepted, gc.counts.overridden),
            (3, 1, 1),
            "{}",
            db.name
        );
        let migration = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/migrations/20261206000000_tenancy.sql"
        ))
        .unwrap();
        let backfill = migration
            .split("-- The counters of what is already stored.")
            .nth(1)
            .and_then(|rest| rest.split("-- (end of the counters)").next())
            .unwrap();
        let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
        for table in ["report_daily", "report_reason", "report_unmatched"] {
            conn.execute(format!("DELETE FROM {table}").as_str())
                .await
                .unwrap();
        }
        for statement in backfill.split(';').filter(|t| !t.trim().is_empty()) {
            conn.execute(statement).await.unwrap();
        }
        conn.close().await.unwrap();
        let counted = s.report(0, None).await.unwrap();
        assert_eq!(
            serde_json::to_value(&kept).unwrap(),
            serde_json::to_value(&counted).unwrap(),
            "{}",
            db.name
        );
        assert_eq!(kept, counted);
        s.close().await;
        db.drop_db().await;
    }
}

/// While the writer is held up by a batch it cannot commit, a hook call's
/// recall read is answered by a reader from what is committed, within the
/// write timeout, instead of waiting behind the batch and failing (which
/// would show every card, held back or not).
#[tokio::test]
async fn a_recall_read_is_answered_while_the_writer_is_held_up() {
    use sqlx::Connection;
    use ssc_myositis_cds::store::Whose;
    for db in TestDb::all().await {
        let s = db
            .open()
            .await
            .with_write_timeout(std::time::Duration::from_millis(300));
        let now = chrono::Utc::now().timestamp_millis();
        s.record_cards(&[card("before", "gc-dose", now)])
            .await
            .unwrap();
        let mut other = sqlx::AnyConnection::connect(&db.url).await.unwrap();
        if db.name == "sqlite" {
            sqlx::raw_sql("BEGIN IMMEDIATE")
                .execute(&mut other)
                .await
                .unwrap();
        } else {
            sqlx::raw_sql("BEGIN; LOCK TABLE audit_card IN EXCLUSIVE MODE")
                .execute(&mut other)
                .await
                .unwrap();
        }
        let stuck = tokio::spawn({
            let s = s.clone();
            async move { s.record_cards(&[card("stuck", "gc-dose", now)]).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let whose = Whose {
            patient_hmac: &"f".repeat(64),
            service_id: "ssc-myositis-order-sign",
            issuer: "https://ehr.example.org",
            tenant: "",
        };
        let m = s.recall_for(&whose, now - 1_000, now - 1_000).await;
        let m = m.unwrap_or_else(|e| panic!("{}: {e}", db.name));
        assert_eq!(m.recent.len(), 1, "{}: the committed card only", db.name);
        sqlx::raw_sql("COMMIT").execute(&mut other).await.unwrap();
        other.close().await.unwrap();
        stuck.await.unwrap().unwrap();
        s.close().await;
        db.drop_db().await;
    }
}

/// A request that stops waiting before the writer takes its rows has none
/// written; one whose rows are already in a transaction waits for it, so
/// "refused" always means "nothing written" and "accepted" means on disk.
#[tokio::test]
async fn a_request_refused_for_time_has_nothing_written() {
    use sqlx::Connection;
    for db in TestDb::all().await {
        let s = db
            .open()
            .await
            .with_write_timeout(std::time::Duration::from_millis(300));
        // Another client holds the write lock for a second.
        let mut other = sqlx::AnyConnection::connect(&db.url).await.unwrap();
        if db.name == "sqlite" {
            sqlx::raw_sql("BEGIN IMMEDIATE")
                .execute(&mut other)
                .await
                .unwrap();
        } else {
            sqlx::raw_sql("BEGIN; LOCK TABLE audit_card IN EXCLUSIVE MODE")
                .execute(&mut other)
                .await
                .unwrap();
        }
        let started = std::time::Instant::now();
        let first = tokio::spawn({
            let s = s.clone();
            async move { s.record_cards(&[card("taken", "gc-dose", T0)]).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let second = tokio::spawn({
            let s = s.clone();
            async move { s.record_cards(&[card("queued", "gc-dose", T0)]).await }
        });
        let second = second.await.unwrap();
        assert!(second.is_err(), "{}: queued past its time", db.name);
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        sqlx::raw_sql("COMMIT").execute(&mut other).await.unwrap();
        let first = first.await.unwrap();
        assert!(first.is_ok(), "{}: {first:?}", db.name);
        assert!(started.elapsed() >= std::time::Duration::from_millis(700));
        assert!(s.card("taken").await.unwrap().is_some(), "{}", db.name);
        // The writer moved on past the withdrawn request without writing it.
        s.record_cards(&[card("later", "gc-dose", T0)])
            .await
            .unwrap();
        assert!(s.card("queued").await.unwrap().is_none(), "{}", db.name);
        other.close().await.unwrap();
        s.close().await;
        db.drop_db().await;
    }
}

/// Feedback counts only from the issuer the card was shown to, on the card's
/// tenant; an item on an unknown card counts on the sender's tenant.
#[tokio::test]
async fn feedback_is_taken_from_the_cards_issuer_and_counted_per_tenant() {
    on_each(|s, db| async move {
        let mut a = card("ta-1", "gc-dose", T0);
        a.tenant = "t-a".into();
        let mut b = card("tb-1", "gc-dose", T0);
        b.issuer = "https://other.example.org".into();
        b.tenant = "t-b".into();
        s.record_cards(&[a, b]).await.unwrap();
        let mut foreign = fb(
            "tb-1",
            Outcome::Overridden,
            T0 + 10,
            Some("patient-declined"),
        );
        foreign.tenant = "t-a".into();
        let mut own = fb(
            "ta-1",
            Outcome::Overridden,
            T0 + 10,
            Some("patient-declined"),
        );
        own.tenant = "t-a".into();
        let mut stray = fb("nowhere", Outcome::Overridden, T0 + 10, None);
        stray.tenant = "t-a".into();
        assert_eq!(
            s.record_feedback(&[foreign, own, stray], false)
                .await
                .unwrap(),
            vec![Filed::NotYours, Filed::New, Filed::New],
            "{db}"
        );
        assert!(s.feedback_for("tb-1").await.unwrap().is_empty(), "{db}");
        let ta = s.report(0, Some("t-a")).await.unwrap();
        let c = &ta.services[0].counts;
        assert_eq!((c.shown, c.overridden), (1, 1), "{db}");
        assert_eq!(ta.unmatched_feedback, 1, "{db}");
        let tb = s.report(0, Some("t-b")).await.unwrap();
        let c = &tb.services[0].counts;
        assert_eq!((c.shown, c.overridden), (1, 0), "{db}");
        assert_eq!(tb.unmatched_feedback, 0, "{db}");
        assert!(s.report(0, Some("t-c")).await.unwrap().services.is_empty());
    })
    .await;
}

/// An override reason's display text may name people: the report shows our
/// own reasons in our words and others by code, unless configured in.
#[tokio::test]
async fn override_free_text_stays_out_of_the_report_unless_configured() {
    on_each(|s, db| async move {
        s.record_cards(&[card("f1", "gc-dose", T0), card("f2", "gc-dose", T0)])
            .await
            .unwrap();
        let typed = |card: &str, system: &str, code: &str| {
            let mut f = fb(card, Outcome::Overridden, T0 + 10, Some(code));
            f.reason = Some(ReasonCoding {
                system: system.into(),
                code: code.into(),
                display: Some("Jane Roe, MRN 1234567".into()),
            });
            f
        };
        let ours = "https://ssc-myositis-cds.example.org/fhir/CodeSystem/override-reason";
        s.record_feedback(
            &[
                typed("f1", ours, "dose-appropriate"),
                typed("f2", "urn:local", "x-17"),
            ],
            false,
        )
        .await
        .unwrap();
        let r = s.report(0, None).await.unwrap();
        let text = serde_json::to_string(&r).unwrap() + &r.to_text() + &r.to_html();
        assert!(!text.contains("Jane Roe"), "{db}");
        assert!(text.contains("Dose appropriate for this patient"), "{db}");
        assert!(text.contains("x-17"), "{db}");
        // Configured in: the display is counted as typed.
        s.record_cards(&[card("f3", "gc-dose", T0)]).await.unwrap();
        s.record_feedback(&[typed("f3", "urn:local", "x-18")], true)
            .await
            .unwrap();
        let r = s.report(0, None).await.unwrap();
        assert!(
            serde_json::to_string(&r).unwrap().contains("Jane Roe"),
            "{db}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_corrupt_stored_suggestion_list_is_an_error_not_an_empty_list() {
    sqlx::any::install_default_drivers();
    for db in TestDb::all().await {
        let s = db.open().await;
        s.record_cards(&[card("c1", "gc-dose", T0)]).await.unwrap();
        s.record_feedback(&[fb("c1", Outcome::Accepted, T0 + 10, None)], false)
            .await
            .unwrap();
        assert_eq!(
            s.card("c1").await.unwrap().unwrap().suggestion_uuids.len(),
            2
        );
        let raw = sqlx::AnyPool::connect(&db.url).await.unwrap();
        sqlx::query("UPDATE audit_card SET suggestion_uuids = 'not json'")
            .execute(&raw)
            .await
            .unwrap();
        sqlx::query("UPDATE feedback SET accepted_suggestions = '[1,'")
            .execute(&raw)
            .await
            .unwrap();
        raw.close().await;
        let err = s.card("c1").await.expect_err(db.name).to_string();
        assert!(err.contains("corrupt"), "{}: {err}", db.name);
        let err = s.feedback_for("c1").await.expect_err(db.name).to_string();
        assert!(err.contains("corrupt"), "{}: {err}", db.name);
        // Feedback on the corrupt card is still stored and counted (its
        // suggestion as unknown); the other requests of the batch are not
        // refused because of it.
        s.record_feedback(&[fb("c1", Outcome::Accepted, T0 + 20, None)], false)
            .await
            .unwrap();
        s.record_cards(&[card("c2", "gc-dose", T0)]).await.unwrap();
        let r = s.report(0, None).await.unwrap();
        let unknown = r.suggestions.iter().find(|x| x.suggestion.is_empty());
        assert!(
            unknown.is_some_and(|x| x.accepted >= 1),
            "{}: {:?}",
            db.name,
            r.suggestions
        );
        s.close().await;
        db.drop_db().await;
    }
}

/// What a hook call recalls is one patient's cards as one issuer and tenant
/// saw them: an override, the time it was received, cards shown within the
/// re-send window (not re-sent or held-back ones), and nothing across
/// issuers or tenants (patient ids are the EHR's own).
#[tokio::test]
async fn recall_reads_one_patients_overrides_and_recent_cards_per_issuer_and_tenant() {
    use ssc_myositis_cds::store::{CardStatus, Whose};
    on_each(|s, db| async move {
        let mut shown = card("r1", "gc-dose", T0);
        shown.drafts_key = "d1".into();
        let resent = AuditCard {
            status: CardStatus::Resent,
            ..card("r2", "gc-dose", T0 + 10)
        };
        let held = AuditCard {
            status: CardStatus::Suppressed {
                follows: "r1".into(),
            },
            ..card("r3", "gc-dose", T0 + 20)
        };
        let other_tenant = AuditCard {
            tenant: "t-b".into(),
            ..card("r4", "gc-dose", T0)
        };
        // A re-send on another day, of a rule shown on none.
        let resent_only = AuditCard {
            status: CardStatus::Resent,
            ..card("r5", "resent-only", T0 + DAY)
        };
        s.record_cards(&[shown, resent, held.clone(), other_tenant, resent_only])
            .await
            .unwrap();
        // Counted: shown once per tenant (the re-send not again), held back
        // once; a re-send alone adds no row to the report.
        let report = s.report(0, None).await.unwrap();
        let gc = report.rules.iter().find(|r| r.rule == "gc-dose").unwrap();
        assert_eq!((gc.counts.shown, gc.counts.suppressed), (2, 1), "{db}");
        assert!(
            report.rules.iter().all(|r| r.rule != "resent-only"),
            "{db}: {:?}",
            report.rules
        );
        assert!(report.daily.iter().all(|d| d.rule != "resent-only"), "{db}");
        // The stored status reads back.
        assert_eq!(s.card("r3").await.unwrap(), Some(held), "{db}");
        s.record_feedback(&[fb("r1", Outcome::Overridden, T0 + 100, None)], false)
            .await
            .unwrap();
        let whose = |tenant: &'static str, issuer: &'static str| Whose {
            patient_hmac: Box::leak("f".repeat(64).into_boxed_str()),
            service_id: "ssc-myositis-order-sign",
            issuer,
            tenant,
        };
        let ehr = "https://ehr.example.org";
        let m = s.recall_for(&whose("", ehr), T0, T0).await.unwrap();
        assert_eq!(m.overrides.len(), 1, "{db}");
        assert_eq!(
            (
                m.overrides[0].card_uuid.as_str(),
                m.overrides[0].drafts_key.as_str()
            ),
            ("r1", "d1"),
            "{db}"
        );
        // Received at T0 + 101 (the writer's record of it), not the
        // client's outcome time.
        assert_eq!(m.overrides[0].at_ms, T0 + 101, "{db}");
        // Only the card first shown is recent; re-sent and held-back are not.
        assert_eq!(m.recent.len(), 1, "{db}");
        // Outside the periods: nothing.
        let later = s
            .recall_for(&whose("", ehr), T0 + 102, T0 + 1)
            .await
            .unwrap();
        assert!(
            later.overrides.is_empty() && later.recent.is_empty(),
            "{db}"
        );
        // Another tenant or issuer sees none of it.
        for (tenant, issuer) in [("t-b", ehr), ("", "https://other.example.org")] {
            let m = s.recall_for(&whose(tenant, issuer), T0, T0).await.unwrap();
            assert!(m.overrides.is_empty(), "{db}: {tenant} {issuer}");
        }
        let m = s.recall_for(&whose("t-b", ehr), T0, T0).await.unwrap();
        assert_eq!(m.recent.len(), 1, "{db}: the other tenant's own card");
        // Many calls at once (read together, several to a statement): each
        // gets its own patient's memory, in any order of arrival.
        let asks: Vec<(&'static str, &'static str, i64, i64)> = (0..40)
            .map(|i| match i % 4 {
                0 => ("", ehr, T0, T0),
                1 => ("t-b", ehr, T0, T0),
                2 => ("", "https://other.example.org", T0, T0),
                _ => ("", ehr, T0 + 102, T0 + 1),
            })
            .collect();
        let tasks: Vec<_> = asks
            .iter()
            .map(|&(tenant, issuer, o, r)| {
                let s = s.clone();
                let w = whose(tenant, issuer);
                tokio::spawn(async move { s.recall_for(&w, o, r).await.unwrap() })
            })
            .collect();
        let mut all = vec![];
        for t in tasks {
            all.push(t.await.unwrap());
        }
        for ((tenant, issuer, o, _), m) in asks.iter().zip(&all) {
            let want = match (*tenant, *issuer, *o) {
                ("", _, T0) if *issuer == ehr => (1, 1),
                ("t-b", _, _) => (0, 1),
                _ => (0, 0),
            };
            assert_eq!(
                (m.overrides.len(), m.recent.len()),
                want,
                "{db}: {tenant} {issuer} {o}"
            );
        }
    })
    .await;
}
