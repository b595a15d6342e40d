//! Phone numbers (parsed with libphonenumber's metadata through `rlibphonenumber`) and the dial policy that
//! guards against toll fraud. The server enforces it; the page's check is only a courtesy.

use std::fmt;

use rlibphonenumber::{PhoneNumberFormat, PhoneNumberType, enums::Region};

/// A valid phone number, held in E.164.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber {
    e164: String,
    country: Option<String>,
    kind: PhoneNumberType,
    /// Only for the fictional `+1 555` numbers, which libphonenumber does not format; others are formatted
    /// when asked (not on the webhook path).
    fictional_formatted: Option<String>,
}

/// Why a number may not be dialled. `Display` is the sentence a caller hears.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialRefusal {
    #[error("no number was given")]
    Empty,
    #[error("that is not a valid phone number")]
    Invalid,
    #[error("calls to that country are not allowed")]
    CountryNotAllowed,
    #[error("calls to premium rate, shared cost and other high cost numbers are not allowed")]
    HighCostType,
}

impl DialRefusal {
    /// A short machine-readable reason for logs and JSON.
    pub fn code(&self) -> &'static str {
        match self {
            DialRefusal::Empty => "empty",
            DialRefusal::Invalid => "invalid",
            DialRefusal::CountryNotAllowed => "country_not_allowed",
            DialRefusal::HighCostType => "high_cost_type",
        }
    }
}

impl PhoneNumber {
    /// Parses what a person typed (any common formatting), with `default_region` for national numbers.
    pub fn parse(input: &str, default_region: Option<&str>) -> Result<PhoneNumber, DialRefusal> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(DialRefusal::Empty);
        }
        // libphonenumber accepts letters (vanity numbers) and extensions; neither belongs in a dial string here.
        if trimmed.len() > 40
            || !trimmed
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().\u{a0}/".contains(c))
            || trimmed.rfind('+').is_some_and(|i| i > 0)
        {
            return Err(DialRefusal::Invalid);
        }
        let region = default_region.and_then(|r| Region::from_code(r).ok());
        let parsed = rlibphonenumber::PhoneNumber::parse(trimmed, region)
            .map_err(|_| DialRefusal::Invalid)?;
        // `is_valid()` is exactly "has a region and a known type" (libphonenumber's isValidNumber), so asking
        // for both directly spares matching the number against its region's patterns a second time.
        let (Some(country), kind) = (parsed.get_region_code(), parsed.get_type()) else {
            return Err(DialRefusal::Invalid);
        };
        if kind == PhoneNumberType::Unknown {
            return Err(DialRefusal::Invalid);
        }
        Ok(PhoneNumber {
            e164: parsed.format_as(PhoneNumberFormat::E164).into_owned(),
            country: Some(country.to_string()),
            kind,
            fictional_formatted: None,
        })
    }

    /// A caller's number as the ban list keeps it: a valid number, or a fictional `+1 555` one (the sandbox's
    /// simulated listeners), parsed with `default_region` when typed without a country code.
    pub fn parse_caller(
        input: &str,
        default_region: Option<&str>,
    ) -> Result<PhoneNumber, DialRefusal> {
        match PhoneNumber::fictional(input) {
            Some(n) => Ok(n),
            None => PhoneNumber::parse(input, default_region),
        }
    }

    /// `+1 555 NXX XXXX` in any common formatting: area code 555 is not assigned to any real phone.
    fn fictional(input: &str) -> Option<PhoneNumber> {
        let t = input.trim();
        if !t
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
            || t.get(1..).unwrap_or("").contains('+')
        {
            return None;
        }
        let digits: String = t.chars().filter(char::is_ascii_digit).collect();
        let national = digits
            .strip_prefix('1')
            .filter(|_| digits.len() == 11)
            .unwrap_or(&digits);
        if national.len() != 10 || !national.starts_with("555") {
            return None;
        }
        Some(PhoneNumber {
            e164: format!("+1{national}"),
            country: Some("US".into()),
            kind: PhoneNumberType::FixedLineOrMobile,
            fictional_formatted: Some(format!(
                "+1 {}-{}-{}",
                &national[..3],
                &national[3..6],
                &national[6..]
            )),
        })
    }

    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// ISO 3166 alpha-2 region, or `None` for non-geographic numbers (satellite, international services).
    pub fn country(&self) -> Option<&str> {
        self.country.as_deref()
    }

    /// International format for people, e.g. `+44 20 7183 8750`.
    pub fn formatted(&self) -> String {
        if let Some(f) = &self.fictional_formatted {
            return f.clone();
        }
        rlibphonenumber::PhoneNumber::parse(&self.e164, None)
            .map(|p| p.format_as(PhoneNumberFormat::International).into_owned())
            .unwrap_or_else(|_| self.e164.clone())
    }

    /// The number read out digit by digit, for `<Say>`: "plus 4 4 2 0 …".
    pub fn spoken(&self) -> String {
        let digits = self.e164.trim_start_matches('+');
        let mut spoken = String::with_capacity(5 + 2 * digits.len());
        spoken.push_str("plus");
        for d in digits.chars() {
            spoken.push(' ');
            spoken.push(d);
        }
        spoken
    }

    fn is_high_cost(&self) -> bool {
        !matches!(
            self.kind,
            PhoneNumberType::FixedLine
                | PhoneNumberType::Mobile
                | PhoneNumberType::FixedLineOrMobile
                | PhoneNumberType::TollFree
                | PhoneNumberType::VoIP
        )
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.e164)
    }
}

/// Which numbers users may dial.
#[derive(Debug, Clone)]
pub struct DialPolicy {
    /// Default region for numbers typed without a country code (the caller ID's country).
    pub default_region: Option<String>,
    /// Countries that may be dialled (ISO alpha-2). Never empty: defaults to the caller ID's country.
    pub allowed_countries: Vec<String>,
    /// Accept the fictional North American area code 555 (`+1 555 …`), which reaches no real phone.
    /// On in sandbox mode only, where such numbers are the simulated phones.
    pub allow_fictional: bool,
}

impl DialPolicy {
    /// Builds the policy from settings: explicit countries, else the caller ID's country, else the US.
    pub fn new(dial_countries: &[String], caller_id: Option<&str>) -> DialPolicy {
        let caller_country = caller_id
            .and_then(|c| PhoneNumber::parse(c, None).ok())
            .and_then(|n| n.country().map(str::to_owned));
        let default_region = caller_country
            .clone()
            .or_else(|| dial_countries.first().cloned());
        let allowed_countries = if dial_countries.is_empty() {
            vec![caller_country.unwrap_or_else(|| "US".into())]
        } else {
            dial_countries.to_vec()
        };
        DialPolicy {
            default_region,
            allowed_countries,
            allow_fictional: false,
        }
    }

    /// The same policy, also accepting fictional `+1 555` numbers (sandbox mode).
    pub fn with_fictional(mut self, allow: bool) -> DialPolicy {
        self.allow_fictional = allow;
        self
    }

    /// Parses `input` and checks it against the policy.
    pub fn check(&self, input: &str) -> Result<PhoneNumber, DialRefusal> {
        if self.allow_fictional
            && let Some(n) = PhoneNumber::fictional(input)
        {
            return Ok(n);
        }
        let number = PhoneNumber::parse(input, self.default_region.as_deref())?;
        if number.is_high_cost() {
            return Err(DialRefusal::HighCostType);
        }
        match number.country() {
            Some(c) if self.allowed_countries.iter().any(|a| a == c) => Ok(number),
            _ => Err(DialRefusal::CountryNotAllowed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(countries: &[&str]) -> DialPolicy {
        DialPolicy::new(
            &countries.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            Some("+14155550100"),
        )
    }

    #[test]
    fn formats_and_speaks_e164() {
        let n = policy(&["US"]).check("(415) 555-2671").unwrap();
        assert_eq!(n.e164(), "+14155552671");
        assert_eq!(n.spoken(), "plus 1 4 1 5 5 5 5 2 6 7 1");
        assert_eq!(n.country(), Some("US"));
    }

    #[test]
    fn verdicts() {
        let p = policy(&["US", "GB"]);
        let cases: &[(&str, Result<&str, DialRefusal>)] = &[
            ("+44 20 7183 8750", Ok("+442071838750")),
            ("+1 900 555 0199", Err(DialRefusal::HighCostType)),
            ("+44 909 876 5432", Err(DialRefusal::HighCostType)),
            ("+33 1 42 68 53 00", Err(DialRefusal::CountryNotAllowed)),
            ("+881 6 1234 5678", Err(DialRefusal::CountryNotAllowed)),
            ("", Err(DialRefusal::Empty)),
            ("1-800-FLOWERS", Err(DialRefusal::Invalid)),
            ("<script>", Err(DialRefusal::Invalid)),
            ("12", Err(DialRefusal::Invalid)),
            ("+1 555 123 0001", Err(DialRefusal::Invalid)),
        ];
        for (input, want) in cases {
            let got = p.check(input).map(|n| n.e164().to_owned());
            assert_eq!(
                got.as_deref().map_err(Clone::clone),
                want.clone(),
                "case {input:?}"
            );
        }
    }

    #[test]
    fn fictional_555_numbers_only_when_allowed() {
        let p = policy(&["US"]).with_fictional(true);
        for input in [
            "+15551230001",
            "+1 (555) 123-0001",
            "555 123 0001",
            "1-555-123-0001",
        ] {
            assert_eq!(
                p.check(input).map(|n| n.e164().to_owned()),
                Ok("+15551230001".into()),
                "{input}"
            );
        }
        assert!(p.check("+1 555 123 00011").is_err());
        assert!(p.check("+44 555 123 0001").is_err());
        assert!(policy(&["US"]).check("+15551230001").is_err());
    }
}
