//! The card's number formatting, done in integer arithmetic, against the
//! standard formatter it replaces (`{:.2}`, trailing zeros trimmed for
//! `amount`), over a dense grid, the ties, the edges and random values.

use proptest::prelude::*;
use ssc_myositis_cds::text::amount;
use ssc_myositis_cds::text::per_kg;

fn std_num(v: f64) -> String {
    let s = format!("{:.2}", v);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn check(v: f64) {
    assert_eq!(amount(v), std_num(v), "amount({v:e})");
    assert_eq!(per_kg(v), format!("{v:.2}"), "per_kg({v:e})");
}

#[test]
fn a_dense_grid_of_doses_and_weights() {
    // Every thousandth from -2000 to 2000: each tie x.xx5 among them.
    for i in -2_000_000i64..=2_000_000 {
        check(i as f64 / 1000.0);
    }
    // Results of the arithmetic cards show: mg/kg, BSA, steps.
    for mg in 1..=400 {
        for kg in 30..=150 {
            check(mg as f64 / kg as f64);
            check(mg as f64 * 0.0125 * kg as f64);
        }
    }
}

#[test]
fn edges() {
    for v in [
        0.0,
        -0.0,
        0.005,
        -0.005,
        0.015,
        0.125,
        0.375,
        1.005,
        2.675,
        1e-300,
        -1e-300,
        f64::MIN_POSITIVE,
        5e-324,
        9_999_999_999.995,
        1e10,
        1e12,
        1e15,
        1e300,
        -1e300,
        f64::MAX,
        f64::MIN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        u64::MAX as f64,
    ] {
        check(v);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]
    #[test]
    fn any_f64(v in any::<f64>()) {
        check(v);
    }

    #[test]
    fn doses_in_range(v in -1e6f64..1e6) {
        check(v);
    }

    #[test]
    fn near_ties(c in -10_000_000i64..10_000_000, d in -4i32..=4) {
        // k + 0.5 hundredths, and its neighbours a few ulps away.
        let t = (c as f64 + 0.5) / 100.0;
        let v = f64::from_bits((t.to_bits() as i64 + d as i64) as u64);
        check(v);
    }
}
