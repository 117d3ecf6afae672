//! Percent-encoding for query values, kept readable: the workload language's
//! punctuation (`* ( ) [ ] , { } : ! ' + ~ - _ .`) stays as typed. The work is
//! done by the `percent-encoding` and `form_urlencoded` crates; this module
//! only fixes our two departures from HTML forms (which characters stay
//! literal, and that `+` is a plus, not a space).

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Bytes escaped in a value: every non-alphanumeric ASCII byte except the
/// workload language's punctuation (bytes ≥ 0x80 are always escaped). Still
/// escaped, because they would change how the query splits or reads: `=`, `&`,
/// `#` (starts the fragment), `%` (starts an escape), space and controls.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'(')
    .remove(b')')
    .remove(b'[')
    .remove(b']')
    .remove(b',')
    .remove(b'{')
    .remove(b'}')
    .remove(b':')
    .remove(b'!')
    .remove(b'\'')
    .remove(b'+')
    .remove(b'~')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.');

/// Encodes `s` for a query value. `+` is kept literal (decoding keeps it too).
pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, VALUE).to_string()
}

/// Decodes `%XX` escapes. A `+` stays a `+`, not a space: the workload
/// language uses it (and reads a space between groups as `+` anyway, so a
/// link whose `+` was turned into a space by some tool still means the same).
/// Malformed escapes are kept literally; invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Splits a query (without `?`) into decoded `(name, value)` pairs in link
/// order: names trimmed and lower-cased, empty parts skipped, a part without
/// `=` read as a name with an empty value.
///
/// `form_urlencoded::parse` decodes `+` as a space (the HTML form rule), but
/// in our links a literal `+` is the workload language's `+`. So every `+` is
/// first escaped as `%2B`, which the parser then decodes back to `+`. This
/// cannot create or break any other escape: `+` is not a hex digit, so no
/// `%X+` was a valid escape before, and `%2B` is a complete one after. A `+`
/// that some tool already turned into `%20` or a space still decodes to a
/// space, which the workload language also reads as `+`.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    let escaped = query.replace('+', "%2B");
    form_urlencoded::parse(escaped.as_bytes())
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_stays_readable() {
        for s in [
            "1*io(1s)+1*io(2s)",
            "a b&c=d%",
            "é",
            "100*[io(200ms),cpu(1M)]{jitter=10}",
            "#x?y/z;@$\t\n",
        ] {
            assert_eq!(percent_decode(&percent_encode(s)), s);
        }
        assert_eq!(
            percent_encode("2*[io(1s),cpu(1M)]+1*x"),
            "2*[io(1s),cpu(1M)]+1*x"
        );
        assert_eq!(percent_encode("*()[],{}:!'+~-_."), "*()[],{}:!'+~-_.");
        assert_eq!(percent_encode("a=b&c#d%e f"), "a%3Db%26c%23d%25e%20f");
        assert_eq!(percent_encode("é"), "%C3%A9");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
        assert_eq!(percent_decode("1+2"), "1+2");
    }

    #[test]
    fn pairs_keep_plus_and_malformed_escapes() {
        let pairs = query_pairs("w=1*io(1s)+1*io(2s)&&X%41=%zz%4&flag&a=b=c&k=%FF&p=%2B+%20");
        let want = [
            ("w", "1*io(1s)+1*io(2s)"),
            ("xa", "%zz%4"),
            ("flag", ""),
            ("a", "b=c"),
            ("k", "\u{FFFD}"),
            ("p", "++ "),
        ];
        let got: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(got, want);
        // Escaping `+` first never creates or breaks an escape next to it.
        assert_eq!(
            query_pairs("v=%+1&u=%2+&t=%4+"),
            [
                ("v".into(), "%+1".into()),
                ("u".into(), "%2+".into()),
                ("t".into(), "%4+".into())
            ]
        );
    }
}
