//! Finding personal data in text: mainland phone numbers and resident
//! identity numbers. Offsets are UTF-8 byte offsets, as redactions use.

/// Byte ranges of mobile numbers (1[3-9]x, 11 digits, optionally +86 and
/// separated as 3-4-4) and landlines (0xxx-xxxxxxx) not inside longer digit
/// runs.
pub fn phone_numbers(text: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    for (start, end, digits) in digit_runs(text, &[' ', '-']) {
        let body = digits
            .strip_prefix("86")
            .filter(|d| d.len() == 11)
            .unwrap_or(&digits);
        let mobile =
            body.len() == 11 && body.starts_with('1') && matches!(body.as_bytes()[1], b'3'..=b'9');
        let landline =
            (10..=12).contains(&body.len()) && body.starts_with('0') && body.as_bytes()[1] != b'0';
        if mobile || landline {
            // Include a leading "+" of "+86".
            let start = if text[..start].ends_with('+') {
                start - 1
            } else {
                start
            };
            found.push((start, end));
        }
    }
    found
}

/// Byte ranges of 18-character resident identity numbers whose check
/// character is right (GB 11643).
pub fn id_numbers(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i + 18 <= bytes.len() {
        let window = &bytes[i..i + 18];
        let before_ok = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let after_ok = i + 18 == bytes.len() || !bytes[i + 18].is_ascii_alphanumeric();
        if before_ok
            && after_ok
            && window[..17].iter().all(u8::is_ascii_digit)
            && check_char(&window[..17]) == window[17].to_ascii_uppercase()
        {
            found.push((i, i + 18));
            i += 18;
        } else {
            i += 1;
        }
    }
    found
}

fn check_char(first17: &[u8]) -> u8 {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

/// Runs of ASCII digits, allowing single separators inside: (start, end, digits).
fn digit_runs(text: &str, separators: &[char]) -> Vec<(usize, usize, String)> {
    let mut runs = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !c.is_ascii_digit() {
            continue;
        }
        if i > 0
            && text[..i]
                .chars()
                .next_back()
                .is_some_and(|p| p.is_ascii_alphanumeric())
        {
            // Inside a word or a longer code: skip the whole run.
            while chars.peek().is_some_and(|(_, c)| c.is_ascii_alphanumeric()) {
                chars.next();
            }
            continue;
        }
        let mut digits = String::from(c);
        let mut end = i + 1;
        while let Some(&(j, d)) = chars.peek() {
            if d.is_ascii_digit() {
                digits.push(d);
                end = j + 1;
                chars.next();
            } else if separators.contains(&d)
                && text[j + d.len_utf8()..].starts_with(|n: char| n.is_ascii_digit())
                && digits.len() < 12
            {
                chars.next();
            } else {
                break;
            }
        }
        if !text[end..].starts_with(|n: char| n.is_ascii_alphanumeric()) {
            runs.push((i, end, digits));
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_phones_and_ids_in_chinese_text() {
        let t =
            "我的电话13812345678，座机0459-4567890，身份证11010519491231002X。编号A13812345678不算";
        let phones: Vec<_> = phone_numbers(t)
            .into_iter()
            .map(|(s, e)| &t[s..e])
            .collect();
        assert_eq!(phones, ["13812345678", "0459-4567890"]);
        let ids: Vec<_> = id_numbers(t).into_iter().map(|(s, e)| &t[s..e]).collect();
        assert_eq!(ids, ["11010519491231002X"]);
        assert!(id_numbers("110105194912310021").is_empty());
        assert_eq!(phone_numbers("call +86 138-1234-5678 now"), [(5, 22)]);
    }
}
