//! `application/x-www-form-urlencoded` body parsing that keeps repeated fields in wire order.

/// Why a form body could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// A `%` not followed by two hexadecimal digits.
    #[error("invalid percent-escape at byte {offset} of the form body")]
    InvalidEscape {
        /// Byte offset of the `%` in the body.
        offset: usize,
    },
    /// A field name or value that is not UTF-8 once decoded.
    #[error("form field {index} is not valid UTF-8 after percent-decoding")]
    InvalidUtf8 {
        /// Zero-based index of the `&`-separated field.
        index: usize,
    },
}

/// Parses a raw `application/x-www-form-urlencoded` body into `(name, value)` pairs in wire
/// order, keeping repeated names (Twilio signs every value of a repeated field).
///
/// `+` decodes to a space and `%XX` to the byte `XX`; a field without `=` has an empty value;
/// empty fields (`a=1&&b=2`) are skipped, as the WHATWG URL standard does. Unlike that standard,
/// a malformed escape is an error rather than passed through, so a mangled body is refused instead
/// of being signed-checked against something Twilio never sent.
pub fn parse_form(body: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    let mut out = Vec::new();
    let mut start = 0usize;
    for (index, field) in body.split(|&b| b == b'&').enumerate() {
        let offset = start;
        start += field.len() + 1;
        if field.is_empty() {
            continue;
        }
        let (name, value, value_offset) = match field.iter().position(|&b| b == b'=') {
            Some(eq) => (&field[..eq], &field[eq + 1..], offset + eq + 1),
            None => (field, &field[field.len()..], offset + field.len()),
        };
        let name = decode_component(name, offset, index)?;
        let value = decode_component(value, value_offset, index)?;
        out.push((name, value));
    }
    Ok(out)
}

fn decode_component(raw: &[u8], offset: usize, index: usize) -> Result<String, FormError> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
                match (hex(raw.get(i + 1)), hex(raw.get(i + 2))) {
                    (Some(hi), Some(lo)) => bytes.push((hi * 16 + lo) as u8),
                    _ => return Err(FormError::InvalidEscape { offset: offset + i }),
                }
                i += 2;
            }
            b => bytes.push(b),
        }
        i += 1;
    }
    String::from_utf8(bytes).map_err(|_| FormError::InvalidUtf8 { index })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn decodes_plus_escapes_and_repeats() {
        let got =
            parse_form(b"To=%2B1415+555&Digits=1&Digits=2&&flag&e=&%C3%A9=%E2%98%8E").unwrap();
        assert_eq!(
            got,
            pairs(&[
                ("To", "+1415 555"),
                ("Digits", "1"),
                ("Digits", "2"),
                ("flag", ""),
                ("e", ""),
                ("é", "☎"),
            ])
        );
        assert_eq!(parse_form(b"").unwrap(), vec![]);
        assert_eq!(parse_form(b"a=b=c").unwrap(), pairs(&[("a", "b=c")]));
    }

    #[test]
    fn rejects_bad_escapes_and_utf8() {
        let cases: &[(&[u8], FormError)] = &[
            (b"a=%", FormError::InvalidEscape { offset: 2 }),
            (b"a=%4", FormError::InvalidEscape { offset: 2 }),
            (b"x=1&a=%zz", FormError::InvalidEscape { offset: 6 }),
            (b"%g0=1", FormError::InvalidEscape { offset: 0 }),
            (b"x=1&a=%FF", FormError::InvalidUtf8 { index: 1 }),
            (b"a=\xff", FormError::InvalidUtf8 { index: 0 }),
        ];
        for (body, want) in cases {
            assert_eq!(
                parse_form(body).as_ref(),
                Err(want),
                "body {:?}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
