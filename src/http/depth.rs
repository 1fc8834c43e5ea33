//! The JSON nesting check, run on every body before it is parsed.

/// Deepest nesting of arrays and objects in a JSON text (strings skipped;
/// an unterminated string ends the scan).
///
/// The text is read 64 bytes at a time: on x86_64 four SSE2 compares per 16
/// bytes give bit masks of quotes, backslashes and brackets, a prefix XOR of
/// the quote mask marks the bytes inside strings, and only the brackets
/// outside them are counted. A block holding a backslash (an escape, rare in
/// FHIR JSON), and the tail, are read byte by byte.
pub fn json_depth(bytes: &[u8]) -> usize {
    let mut scan = DepthScan::default();
    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
    let mut rest = bytes;
    #[cfg(target_arch = "x86_64")]
    while let Some((block, tail)) = rest.split_first_chunk::<64>() {
        let m = Masks::of(block);
        if m.backslash != 0 || scan.escaped {
            scan.bytes(block);
        } else {
            scan.block(&m);
        }
        rest = tail;
    }
    scan.bytes(rest);
    scan.max
}

#[derive(Default)]
struct DepthScan {
    depth: usize,
    max: usize,
    in_string: bool,
    /// The last byte read was a backslash inside a string.
    escaped: bool,
}

impl DepthScan {
    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    self.max = self.max.max(self.depth);
                }
                b'}' | b']' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
    }

    /// A block of 64 bytes without a backslash, after one that did not end
    /// in an escape.
    #[cfg(target_arch = "x86_64")]
    fn block(&mut self, m: &Masks) {
        // Bit k of the prefix XOR: an odd number of quotes at or before k,
        // that is, k lies from an opening quote up to its closing one.
        let mut inside = m.quote;
        for shift in [1, 2, 4, 8, 16, 32] {
            inside ^= inside << shift;
        }
        if self.in_string {
            inside = !inside;
        }
        self.in_string = inside >> 63 == 1;
        let (open, close) = (m.open & !inside, m.close & !inside);
        if close == 0 {
            self.depth += open.count_ones() as usize;
            self.max = self.max.max(self.depth);
        } else if open == 0 {
            self.depth = self.depth.saturating_sub(close.count_ones() as usize);
        } else {
            let mut bits = open | close;
            while bits != 0 {
                let bit = bits & bits.wrapping_neg();
                if open & bit != 0 {
                    self.depth += 1;
                    self.max = self.max.max(self.depth);
                } else {
                    self.depth = self.depth.saturating_sub(1);
                }
                bits ^= bit;
            }
        }
    }
}

/// Where in a 64-byte block the bytes that matter are (bit k: byte k).
#[cfg(target_arch = "x86_64")]
struct Masks {
    quote: u64,
    backslash: u64,
    /// `{` or `[`.
    open: u64,
    /// `}` or `]`.
    close: u64,
}

#[cfg(target_arch = "x86_64")]
impl Masks {
    fn of(block: &[u8; 64]) -> Masks {
        use std::arch::x86_64::*;
        let mut m = Masks {
            quote: 0,
            backslash: 0,
            open: 0,
            close: 0,
        };
        for k in 0..4 {
            // SAFETY: SSE2 is part of the x86_64 baseline, and the unaligned
            // load reads bytes 16k..16k+16 of the 64-byte block.
            let (q, b, o, c) = unsafe {
                let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast::<__m128i>());
                // `{` 0x7B and `[` 0x5B, `}` 0x7D and `]` 0x5D differ only in
                // bit 0x20: no other byte ORed with it gives 0x7B or 0x7D.
                let folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
                let mask = |x: __m128i, byte: u8| {
                    _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(byte as i8))) as u16
                };
                (
                    mask(v, b'"'),
                    mask(v, b'\\'),
                    mask(folded, b'{'),
                    mask(folded, b'}'),
                )
            };
            m.quote |= u64::from(q) << (16 * k);
            m.backslash |= u64::from(b) << (16 * k);
            m.open |= u64::from(o) << (16 * k);
            m.close |= u64::from(c) << (16 * k);
        }
        m
    }
}
