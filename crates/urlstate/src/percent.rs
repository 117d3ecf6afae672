//! Percent-encoding for query values, kept readable: the workload language's
//! punctuation (`* ( ) [ ] , { } = +`) stays as typed.

/// Characters left as they are in an encoded value.
fn keep(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.~*()[],{}=:!'+".contains(&b)
}

/// Encodes `s` for a query value. `+` is kept literal (decoding keeps it too).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if keep(b) && b != b'=' {
            out.push(b as char);
        } else if b == b'=' {
            out.push_str("%3D");
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes. A `+` stays a `+`, not a space: the workload
/// language uses it (and reads a space between groups as `+` anyway, so a
/// link whose `+` was turned into a space by some tool still means the same).
/// Malformed escapes are kept literally; invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_stays_readable() {
        for s in ["1*io(1s)+1*io(2s)", "a b&c=d%", "é", "100*[io(200ms),cpu(1M)]{jitter=10}"] {
            assert_eq!(percent_decode(&percent_encode(s)), s);
        }
        assert_eq!(percent_encode("2*[io(1s),cpu(1M)]+1*x"), "2*[io(1s),cpu(1M)]+1*x");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
    }
}
