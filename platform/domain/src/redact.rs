//! Personal data in free text: mainland mobile and landline numbers,
//! resident ID numbers, e-mail addresses and licence plates, hidden behind
//! a marker in the city's language (`[电话]`, `[phone]` …) before text is
//! published.
//!
//! The rules lean towards leaving ordinary numbers alone: a number is
//! hidden only when its shape says what it is.
//!
//! - Mobile: 11 digits `1[3-9]…`, optionally after `+86`, `0086`, `86` or
//!   `(+86)`, written whole or as 3-4-4, 3-8 or 7-4 groups with one space
//!   or dash between groups.
//! - Landline: a real area code (`010`, `02x`, `0[3-9]xx`) then a dash or
//!   space (or the code in brackets) then 7 or 8 digits not starting with 0
//!   or 1, optionally an extension (`-801`, `转801`). Local numbers without
//!   an area code are left alone.
//! - ID number: 17 digits and a digit or `X` (whole, or 6-8-4 with spaces),
//!   with a plausible birth date and the GB 11643 check digit, so a long
//!   number that only looks like one stays.
//! - E-mail: `local@domain.tld`.
//! - Licence plate: a province's abbreviation, a letter, an optional `·` or
//!   space, and 5 or 6 letters and digits, at least one a digit.
//!
//! A number is never taken out of a longer number: one right after or
//! before another digit, or joined to one by a dash or a point (a date, an
//! amount, a serial number), is left alone. Full-width digits count as
//! digits.
//!
//! [`redact`] repeats its pass until nothing more is found (a number left
//! alone because of its neighbour may stand free once the neighbour is
//! hidden), so hiding twice changes nothing. Every pass that changes the
//! text removes at least one digit or `@` and markers have neither, so it
//! ends.

use crate::values::Locale;
use std::borrow::Cow;

/// What a piece of personal data is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Phone,
    IdNumber,
    Email,
    Plate,
}

impl Kind {
    /// What stands in the text instead, in the city's language.
    pub fn marker(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (Self::Phone, Locale::ZhCn) => "[电话]",
            (Self::Phone, Locale::En) => "[phone]",
            (Self::IdNumber, Locale::ZhCn) => "[身份证号]",
            (Self::IdNumber, Locale::En) => "[ID number]",
            (Self::Email, Locale::ZhCn) => "[邮箱]",
            (Self::Email, Locale::En) => "[e-mail]",
            (Self::Plate, Locale::ZhCn) => "[车牌]",
            (Self::Plate, Locale::En) => "[licence plate]",
        }
    }
}

/// `text` with every phone number, ID number, e-mail address and licence
/// plate replaced by its marker in `locale`; borrowed when nothing was
/// found.
pub fn redact(text: &str, locale: Locale) -> Cow<'_, str> {
    let mut out: Cow<'_, str> = Cow::Borrowed(text);
    loop {
        let found = find(&out);
        if found.is_empty() {
            return out;
        }
        let mut next = String::with_capacity(out.len());
        let mut at = 0;
        for (kind, range) in found {
            next.push_str(&out[at..range.start]);
            next.push_str(kind.marker(locale));
            at = range.end;
        }
        next.push_str(&out[at..]);
        out = Cow::Owned(next);
    }
}

/// The personal data in `text`, in order, as byte ranges (one pass).
pub fn find(text: &str) -> Vec<(Kind, std::ops::Range<usize>)> {
    if !text.chars().any(|c| digit(c).is_some() || c == '@') {
        return Vec::new();
    }
    let (offsets, cs): (Vec<usize>, Vec<char>) = text.char_indices().unzip();
    let byte = |i: usize| offsets.get(i).copied().unwrap_or(text.len());
    let scan = Scan { cs: &cs };
    let emails = scan.emails();
    let mut emails = emails.iter().peekable();
    let mut found = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        if let Some(&&(start, end)) = emails.peek()
            && start <= i
        {
            found.push((Kind::Email, byte(start)..byte(end)));
            emails.next();
            i = end;
            continue;
        }
        let next_email = emails.peek().map_or(cs.len(), |e| e.0);
        let hit = scan
            .plate(i)
            .map(|end| (Kind::Plate, end))
            .or_else(|| scan.id_number(i).map(|end| (Kind::IdNumber, end)))
            .or_else(|| scan.mobile(i).map(|end| (Kind::Phone, end)))
            .or_else(|| scan.landline(i).map(|end| (Kind::Phone, end)))
            .filter(|(_, end)| *end <= next_email);
        match hit {
            Some((kind, end)) => {
                found.push((kind, byte(i)..byte(end)));
                i = end;
            }
            None => i += 1,
        }
    }
    found
}

const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

/// The value of an ASCII or full-width digit.
fn digit(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '０'..='９' => u8::try_from(u32::from(c) - u32::from('０')).ok(),
        _ => None,
    }
}

/// Between the groups of a written number.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '－' | '\u{3000}' | '\u{a0}')
}

/// Joins a number to the next one: `2024-05`, `3.50`.
fn joins(c: char) -> bool {
    matches!(c, '-' | '－' | '.' | '．')
}

fn open_bracket(c: char) -> bool {
    matches!(c, '(' | '（')
}

fn close_bracket(c: char) -> bool {
    matches!(c, ')' | '）')
}

struct Scan<'a> {
    cs: &'a [char],
}

impl Scan<'_> {
    fn at(&self, i: usize) -> Option<char> {
        self.cs.get(i).copied()
    }

    fn digit_at(&self, i: usize) -> Option<u8> {
        self.at(i).and_then(digit)
    }

    /// A number may start at `i`: not right after a digit, nor joined to
    /// one by a dash or point.
    fn free_left(&self, i: usize) -> bool {
        if i == 0 {
            return true;
        }
        let before = self.cs[i - 1];
        if digit(before).is_some() {
            return false;
        }
        !(joins(before) && i >= 2 && digit(self.cs[i - 2]).is_some())
    }

    /// A number may end at `end`: no digit follows, nor a dash or point
    /// and a digit.
    fn free_right(&self, end: usize) -> bool {
        match self.at(end) {
            None => true,
            Some(c) if digit(c).is_some() => false,
            Some(c) => !(joins(c) && self.digit_at(end + 1).is_some()),
        }
    }

    /// Digits in groups of `lens`, one separator between groups, from `i`.
    /// With `check_x` the last may be `X` (10).
    fn groups(&self, i: usize, lens: &[usize], check_x: bool) -> Option<(Vec<u8>, usize)> {
        let total: usize = lens.iter().sum();
        let mut digits = Vec::with_capacity(total);
        let mut at = i;
        for (g, len) in lens.iter().enumerate() {
            if g > 0 {
                if !is_separator(self.at(at)?) {
                    return None;
                }
                at += 1;
            }
            for _ in 0..*len {
                let c = self.at(at)?;
                let last = digits.len() + 1 == total;
                match digit(c) {
                    Some(d) => digits.push(d),
                    None if last && check_x && matches!(c, 'X' | 'x') => digits.push(10),
                    None => return None,
                }
                at += 1;
            }
        }
        Some((digits, at))
    }

    /// A mobile number starting at `i` (with its country code): its end.
    fn mobile(&self, i: usize) -> Option<usize> {
        let c = self.at(i)?;
        let starts_with_digit = digit(c).is_some();
        if starts_with_digit && !self.free_left(i) {
            return None;
        }
        let mut starts = Vec::with_capacity(3);
        if let Some(after) = self.country_code(i) {
            starts.push(after);
            if self.at(after).is_some_and(is_separator) {
                starts.push(after + 1);
            }
        }
        if starts_with_digit {
            starts.push(i);
        }
        const SHAPES: [&[usize]; 4] = [&[11], &[3, 4, 4], &[3, 8], &[7, 4]];
        starts.into_iter().find_map(|start| {
            SHAPES.iter().find_map(|shape| {
                let (d, end) = self.groups(start, shape, false)?;
                (d[0] == 1 && (3..=9).contains(&d[1]) && self.free_right(end)).then_some(end)
            })
        })
    }

    /// Whether the digits `want` are written from `at`.
    fn digits_are(&self, at: usize, want: &[u8]) -> bool {
        want.iter()
            .enumerate()
            .all(|(k, w)| self.digit_at(at + k) == Some(*w))
    }

    /// `+86`, `0086`, `86` or `(+86)` at `i`: where the number starts.
    fn country_code(&self, i: usize) -> Option<usize> {
        let plus = |c: char| matches!(c, '+' | '＋');
        let c = self.at(i)?;
        if plus(c) && self.digits_are(i + 1, &[8, 6]) {
            Some(i + 3)
        } else if self.digits_are(i, &[0, 0, 8, 6]) {
            Some(i + 4)
        } else if self.digits_are(i, &[8, 6]) {
            Some(i + 2)
        } else if open_bracket(c) {
            let code = i + 1 + usize::from(self.at(i + 1).is_some_and(plus));
            (self.digits_are(code, &[8, 6]) && self.at(code + 2).is_some_and(close_bracket))
                .then_some(code + 3)
        } else {
            None
        }
    }

    /// A landline number with its area code starting at `i`: its end.
    fn landline(&self, i: usize) -> Option<usize> {
        let c = self.at(i)?;
        let bracketed = open_bracket(c);
        if !bracketed && !self.free_left(i) {
            return None;
        }
        let area_at = i + usize::from(bracketed);
        [3, 4].into_iter().find_map(|len| {
            let (area, mut at) = self.groups(area_at, &[len], false)?;
            let real = area[0] == 0
                && match len {
                    3 => (area[1] == 1 && area[2] == 0) || area[1] == 2,
                    _ => (3..=9).contains(&area[1]),
                };
            if !real {
                return None;
            }
            if bracketed {
                if !self.at(at).is_some_and(close_bracket) {
                    return None;
                }
                at += 1;
                if self.at(at).is_some_and(is_separator) {
                    at += 1;
                }
            } else if self.at(at).is_some_and(is_separator) {
                at += 1;
            } else {
                return None;
            }
            const LOCAL: [&[usize]; 4] = [&[8], &[7], &[4, 4], &[3, 4]];
            LOCAL.iter().find_map(|shape| {
                let (d, end) = self.groups(at, shape, false)?;
                if d[0] < 2 {
                    return None;
                }
                let end = self.extension(end).unwrap_or(end);
                self.free_right(end).then_some(end)
            })
        })
    }

    /// `-801` or `转801` after a landline number: where it ends.
    fn extension(&self, at: usize) -> Option<usize> {
        if !self.at(at).is_some_and(|c| matches!(c, '-' | '－' | '转')) {
            return None;
        }
        let digits = (at + 1..)
            .take_while(|k| self.digit_at(*k).is_some())
            .count();
        (1..=5).contains(&digits).then_some(at + 1 + digits)
    }

    /// An ID number starting at `i`: its end.
    fn id_number(&self, i: usize) -> Option<usize> {
        if !self.free_left(i) {
            return None;
        }
        [&[18][..], &[6, 8, 4]].into_iter().find_map(|shape| {
            let (d, end) = self.groups(i, shape, true)?;
            (valid_id(&d) && self.free_right(end)).then_some(end)
        })
    }

    /// A licence plate starting at `i`: its end.
    fn plate(&self, i: usize) -> Option<usize> {
        if !PROVINCES.contains(self.at(i)?) || !self.at(i + 1)?.is_ascii_alphabetic() {
            return None;
        }
        let mut at = i + 2;
        if self
            .at(at)
            .is_some_and(|c| matches!(c, '·' | '•' | '・' | ' '))
        {
            at += 1;
        }
        let body = (at..)
            .take_while(|k| self.at(*k).is_some_and(|c| c.is_ascii_alphanumeric()))
            .count();
        let has_digit = (at..at + body).any(|k| self.cs[k].is_ascii_digit());
        ((5..=6).contains(&body) && has_digit).then_some(at + body)
    }

    /// Every e-mail address, as (start, end) in chars.
    fn emails(&self) -> Vec<(usize, usize)> {
        let local = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
        let domain = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
        let mut out: Vec<(usize, usize)> = Vec::new();
        for (a, _) in self.cs.iter().enumerate().filter(|(_, c)| **c == '@') {
            let mut start = a;
            while start > 0 && local(self.cs[start - 1]) {
                start -= 1;
            }
            while start < a && self.cs[start] == '.' {
                start += 1;
            }
            let mut end = a + 1;
            while end < self.cs.len() && domain(self.cs[end]) {
                end += 1;
            }
            // A sentence's full stop, or digits run on after the name.
            while end > a + 1 && !self.cs[end - 1].is_ascii_alphabetic() {
                end -= 1;
            }
            let name: String = self.cs[a + 1..end].iter().collect();
            let labels: Vec<&str> = name.split('.').collect();
            let tld_ok = labels
                .last()
                .is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
            let labels_ok = labels.len() >= 2
                && labels
                    .iter()
                    .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
            let after_last = out.last().is_none_or(|(_, e)| *e <= start);
            if start < a && tld_ok && labels_ok && after_last {
                out.push((start, end));
            }
        }
        out
    }
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// The GB 11643 check value (10 for `X`) of an ID number's first 17
/// digits.
fn id_check(first17: &[u8]) -> u8 {
    const CHECK: [u8; 11] = [1, 0, 10, 9, 8, 7, 6, 5, 4, 3, 2];
    let sum: u32 = first17
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(x, w)| u32::from(*x) * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

/// An ID number: a region code starting 1 to 8, a real birth date from
/// 1900 on, and the right check digit.
fn valid_id(d: &[u8]) -> bool {
    if d.len() != 18 || d[..17].iter().any(|x| *x > 9) || !(1..=8).contains(&d[0]) {
        return false;
    }
    let number = |r: std::ops::Range<usize>| d[r].iter().fold(0u32, |n, x| n * 10 + u32::from(*x));
    let (year, month, day) = (number(6..10), number(10..12), number(12..14));
    let born = i32::try_from(year)
        .ok()
        .and_then(|y| chrono::NaiveDate::from_ymd_opt(y, month, day));
    (1900..=2100).contains(&year) && born.is_some() && id_check(&d[..17]) == d[17]
}

/// The check digit (`0`–`9` or `X`) that completes an ID number's first 17
/// digits; `None` unless given exactly 17 digits.
pub fn id_check_digit(first17: &str) -> Option<char> {
    let digits: Vec<u8> = first17
        .chars()
        .map(|c| c.to_digit(10).and_then(|d| u8::try_from(d).ok()))
        .collect::<Option<_>>()?;
    if digits.len() != 17 {
        return None;
    }
    match id_check(&digits) {
        10 => Some('X'),
        d => Some(char::from(b'0' + d)),
    }
}

#[cfg(test)]
mod tests;
