//! Validated domain values. Each `parse` states the rule in its error message,
//! so the client can fix the input without reading our code.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A value that is known to satisfy its rule.
macro_rules! string_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::parse(s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_value!(
    /// A city's short name in URLs: `[a-z][a-z0-9-]{1,39}`, no trailing dash.
    Slug
);
string_value!(
    /// A department, category or attribute code: `[a-z0-9][a-z0-9_-]{0,63}`.
    Code
);
string_value!(
    /// A colour as `#rrggbb`; safe to put into CSS.
    HexColor
);
string_value!(
    /// An exact host name (lowercase, no port, no trailing dot).
    HostName
);

/// Slugs that would collide with the platform's own paths.
const RESERVED_SLUGS: &[&str] = &[
    "api", "admin", "static", "assets", "healthz", "readyz", "open311",
];

impl Slug {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = (2..=40).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && !s.ends_with('-')
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            return Err(format!(
                "{s:?} is not a valid slug: use 2 to 40 lowercase letters, digits and dashes, \
                 starting with a letter and not ending with a dash"
            ));
        }
        if RESERVED_SLUGS.contains(&s) {
            return Err(format!(
                "{s:?} is reserved for the platform; choose another slug"
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

impl Code {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = (1..=64).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "{s:?} is not a valid code: use 1 to 64 lowercase letters, digits, '-' and '_', \
                 starting with a letter or digit"
            ))
        }
    }
}

impl HexColor {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok =
            s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit());
        if ok {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(format!(
                "{s:?} is not a colour: write it as #rrggbb, for example #0b5394"
            ))
        }
    }
}

impl HostName {
    /// Accepts any case and a trailing dot; rejects ports, paths and schemes.
    pub fn parse(s: &str) -> Result<Self, String> {
        let host = s.trim_end_matches('.').to_ascii_lowercase();
        let labels_ok = !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|label| {
                (1..=63).contains(&label.len())
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if labels_ok {
            Ok(Self(host))
        } else {
            Err(format!(
                "{s:?} is not a host name: give only the name, like city.example.org \
                 (no scheme, port or path)"
            ))
        }
    }
}

/// A language the pages are served in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Locale {
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "zh-CN" => Ok(Self::ZhCn),
            "en" => Ok(Self::En),
            _ => Err(format!(
                "{s:?} is not a supported locale: use \"zh-CN\" or \"en\""
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ZhCn => "zh-CN",
            Self::En => "en",
        }
    }
}

/// What kind of unit a department is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepartmentKind {
    /// A municipal bureau or commission (委办局).
    Government,
    /// A district government (区政府).
    District,
    /// A street office or township (街道办事处, 乡镇).
    Street,
    /// A public utility or state enterprise (热力公司, 公交集团).
    Enterprise,
    /// A public institution (事业单位: hospitals, schools).
    Institution,
    Other,
}

impl DepartmentKind {
    pub const ALL: [DepartmentKind; 6] = [
        Self::Government,
        Self::District,
        Self::Street,
        Self::Enterprise,
        Self::Institution,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Government => "government",
            Self::District => "district",
            Self::Street => "street",
            Self::Enterprise => "enterprise",
            Self::Institution => "institution",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "{s:?} is not a department kind: use one of {}",
                    names.join(", ")
                )
            })
    }
}

/// An IANA time zone name, such as `Asia/Shanghai`.
pub fn parse_time_zone(s: &str) -> Result<chrono_tz::Tz, String> {
    s.parse::<chrono_tz::Tz>()
        .map_err(|_| format!("{s:?} is not an IANA time zone: use a name like Asia/Shanghai"))
}

/// A day of the week, as `mon` … `sun`.
pub fn parse_weekday(s: &str) -> Result<chrono::Weekday, String> {
    const NAMES: [(&str, chrono::Weekday); 7] = [
        ("mon", chrono::Weekday::Mon),
        ("tue", chrono::Weekday::Tue),
        ("wed", chrono::Weekday::Wed),
        ("thu", chrono::Weekday::Thu),
        ("fri", chrono::Weekday::Fri),
        ("sat", chrono::Weekday::Sat),
        ("sun", chrono::Weekday::Sun),
    ];
    NAMES
        .iter()
        .find(|(name, _)| *name == s)
        .map(|(_, day)| *day)
        .ok_or_else(|| format!("{s:?} is not a weekday: use mon, tue, wed, thu, fri, sat or sun"))
}

pub fn weekday_name(day: chrono::Weekday) -> &'static str {
    match day {
        chrono::Weekday::Mon => "mon",
        chrono::Weekday::Tue => "tue",
        chrono::Weekday::Wed => "wed",
        chrono::Weekday::Thu => "thu",
        chrono::Weekday::Fri => "fri",
        chrono::Weekday::Sat => "sat",
        chrono::Weekday::Sun => "sun",
    }
}

/// Text a person typed: trimmed, non-empty unless `min` is 0, at most `max`
/// characters (not bytes: Chinese text counts one per character), and free
/// of control characters other than line breaks and tabs.
pub fn parse_text(s: &str, min: usize, max: usize) -> Result<String, String> {
    let text = s.trim();
    let count = text.chars().count();
    if count < min {
        return Err(if min == 1 {
            "must not be empty".to_owned()
        } else {
            format!("must be at least {min} characters long")
        });
    }
    if count > max {
        return Err(format!(
            "must be at most {max} characters long (it has {count})"
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err("must not contain control characters".to_owned());
    }
    Ok(text.to_owned())
}

/// Optional text: empty or blank becomes `None`.
pub fn parse_optional_text(s: Option<&str>, max: usize) -> Result<Option<String>, String> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => parse_text(text, 1, max).map(Some),
    }
}

/// An email address, checked only for shape: one `@` with text on both sides.
pub fn parse_email(s: &str) -> Result<String, String> {
    let email = parse_text(s, 3, 200)?;
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !email.contains(char::is_whitespace) =>
        {
            Ok(email)
        }
        _ => Err(format!("{email:?} is not an email address")),
    }
}

/// A logo or link: an https URL or a site-relative path.
pub fn parse_link(s: &str) -> Result<String, String> {
    let link = parse_text(s, 1, 500)?;
    let ok = (link.starts_with("https://") && link.len() > 8 || link.starts_with('/'))
        && !link.starts_with("//")
        && !link.contains(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>');
    if ok {
        Ok(link)
    } else {
        Err(format!(
            "{link:?} must be an https:// URL or a path starting with /"
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(Slug::parse("daqing").is_ok());
        assert!(Slug::parse("new-york-2").is_ok());
        for bad in ["", "a", "Daqing", "1city", "city-", "ci ty", "api", "大庆"] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn codes() {
        assert!(Code::parse("rlgs").is_ok());
        assert!(Code::parse("lfq-cgj_2").is_ok());
        for bad in ["", "-x", "A", "x y", "热力", &"a".repeat(65)] {
            assert!(Code::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn colours_and_hosts() {
        assert_eq!(HexColor::parse("#0B5394").unwrap().as_str(), "#0b5394");
        for bad in ["0b5394", "#0b539", "#0b539g", "red", "#0b5394;x"] {
            assert!(HexColor::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            HostName::parse("Daqing.Example.ORG.").unwrap().as_str(),
            "daqing.example.org"
        );
        for bad in ["", "a..b", "http://x", "x:80", "-a.b", "a/b"] {
            assert!(HostName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn text_counts_characters() {
        assert_eq!(parse_text("  大庆市  ", 1, 3).unwrap(), "大庆市");
        assert!(parse_text("大庆市政府", 1, 3).is_err());
        assert!(parse_text("   ", 1, 3).is_err());
        assert!(parse_text("a\u{0}b", 1, 10).is_err());
        assert_eq!(parse_optional_text(Some("  "), 5).unwrap(), None);
    }

    #[test]
    fn links_and_emails() {
        assert!(parse_link("https://x.org/logo.svg").is_ok());
        assert!(parse_link("/static/logo.svg").is_ok());
        for bad in [
            "javascript:alert(1)",
            "http://x.org/a",
            "//evil.org/x",
            "/a\"b",
        ] {
            assert!(parse_link(bad).is_err(), "{bad:?} accepted");
        }
        assert!(parse_email("rlgs@daqing.gov.cn").is_ok());
        assert!(parse_email("nobody").is_err());
    }
}
