//! The request depth check against a plain byte-by-byte reference, over
//! generated JSON-like texts with strings, escapes and brackets.

use proptest::prelude::*;
use ssc_myositis_cds::http::json_depth;

fn reference(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[test]
fn known_texts() {
    for (text, depth) in [
        ("", 0),
        ("1", 0),
        ("{}", 1),
        (r#"{"a":[{"b":"[[[["}]}"#, 3),
        (r#"["\"[", ["\\"], [[]]]"#, 3),
        (r#"{"a":"unterminated [[["#, 1),
        (r#"{"a":"ends in a backslash\"#, 1),
        ("]]]{", 1),
    ] {
        assert_eq!(json_depth(text.as_bytes()), depth, "{text}");
        assert_eq!(reference(text.as_bytes()), depth, "{text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]
    #[test]
    fn same_as_the_reference(text in proptest::collection::vec(
        prop_oneof![
            Just(b'"'), Just(b'\\'), Just(b'{'), Just(b'}'), Just(b'['), Just(b']'),
            Just(b'a'), Just(b':'), Just(b','), any::<u8>()
        ], 0..200))
    {
        prop_assert_eq!(json_depth(&text), reference(&text));
    }

    #[test]
    fn real_json(v in proptest::collection::vec(
        proptest::collection::vec(("[a-z\"\\\\\\[\\]{}]{0,12}", any::<u8>()), 0..6), 0..6)) {
        let text = serde_json::to_vec(&v).unwrap();
        prop_assert_eq!(json_depth(&text), reference(&text));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Long texts without backslashes, read 64 bytes at a time, with
    /// backslashes now and then, read byte by byte, across block boundaries.
    #[test]
    fn long_texts(text in proptest::collection::vec(
        prop_oneof![
            20 => Just(b'"'), 10 => Just(b'{'), 10 => Just(b'}'), 10 => Just(b'['), 10 => Just(b']'),
            100 => Just(b'a'), 10 => Just(b':'), 10 => Just(b','), 20 => any::<u8>(), 1 => Just(b'\\')
        ], 0..1_000))
    {
        prop_assert_eq!(json_depth(&text), reference(&text));
    }
}
