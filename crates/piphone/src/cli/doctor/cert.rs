//! Just enough DER to read a certificate's validity period (RFC 5280 §4.1): no parser crate for one field.
//!
//! Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber INTEGER,
//! signature AlgorithmIdentifier, issuer Name, validity SEQUENCE { notBefore Time, notAfter Time }, … }, … }

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// One TLV: `(tag, contents, rest)`.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

const SEQUENCE: u8 = 0x30;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

fn digits(s: &[u8]) -> Option<u32> {
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// `YYMMDDHHMMSSZ` (UTCTime: 50-99 → 19xx) or `YYYYMMDDHHMMSSZ` (GeneralizedTime).
fn parse_time(tag: u8, value: &[u8]) -> Option<OffsetDateTime> {
    let (year, rest) = match tag {
        UTC_TIME if value.len() == 13 => {
            let yy = digits(&value[..2])?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &value[2..])
        }
        GENERALIZED_TIME if value.len() == 15 => (digits(&value[..4])?, &value[4..]),
        _ => return None,
    };
    if rest.last() != Some(&b'Z') {
        return None;
    }
    let field = |i: usize| digits(&rest[i..i + 2]);
    let month = Month::try_from(u8::try_from(field(0)?).ok()?).ok()?;
    let date = Date::from_calendar_date(i32::try_from(year).ok()?, month, field(2)? as u8).ok()?;
    let time = Time::from_hms(field(4)? as u8, field(6)? as u8, field(8)? as u8).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// The certificate's `(notBefore, notAfter)`.
pub fn validity(der: &[u8]) -> Option<(OffsetDateTime, OffsetDateTime)> {
    let (SEQUENCE, cert, _) = tlv(der)? else {
        return None;
    };
    let (SEQUENCE, mut tbs, _) = tlv(cert)? else {
        return None;
    };
    if tbs.first() == Some(&0xa0) {
        tbs = tlv(tbs)?.2; // version
    }
    let rest = tlv(tbs)?.2; // serialNumber
    let rest = tlv(rest)?.2; // signature algorithm
    let rest = tlv(rest)?.2; // issuer
    let (SEQUENCE, validity, _) = tlv(rest)? else {
        return None;
    };
    let (tag, not_before, rest) = tlv(validity)?;
    let not_before = parse_time(tag, not_before)?;
    let (tag, not_after, _) = tlv(rest)?;
    Some((not_before, parse_time(tag, not_after)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn cert_valid(not_before: OffsetDateTime, not_after: OffsetDateTime) -> Vec<u8> {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.not_before = not_before;
        params.not_after = not_after;
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn reads_utc_and_generalized_times() {
        // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
        for (from, until) in [
            (
                datetime!(2024-01-02 03:04:05 UTC),
                datetime!(2026-12-31 23:59:59 UTC),
            ),
            (
                datetime!(1975-06-01 00:00:00 UTC),
                datetime!(4096-01-01 00:00:00 UTC),
            ),
        ] {
            assert_eq!(validity(&cert_valid(from, until)), Some((from, until)));
        }
    }

    #[test]
    fn garbage_is_none_not_a_panic() {
        for bad in [
            &b""[..],
            b"\x30",
            b"\x30\x84\xff\xff\xff\xff",
            b"\x30\x03\x02\x01\x00",
        ] {
            assert_eq!(validity(bad), None, "{bad:?}");
        }
    }
}
