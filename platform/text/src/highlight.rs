//! A short piece of a text around the first searched word, with each
//! searched word marked, for result lists. Works on the text as shown
//! (public text is already redacted), not on the stored tokens.

/// A piece of a snippet: text, and whether it is a searched word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fragment {
    pub text: String,
    pub hit: bool,
}

/// Up to about `width` characters of `text` around the first of `terms`
/// found (from the start when none is), split into fragments; an ellipsis
/// marks cut ends.
pub fn snippet(text: &str, terms: &[String], width: usize) -> Vec<Fragment> {
    let chars: Vec<char> = text.chars().collect();
    let lower: Vec<char> = crate::segment::normalize(text)
        .chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect();
    let terms: Vec<Vec<char>> = terms
        .iter()
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().collect())
        .collect();
    // Where each character is part of a searched word.
    let mut hit = vec![false; chars.len()];
    let mut first = None;
    if lower.len() == chars.len() {
        for i in 0..lower.len() {
            for t in &terms {
                if lower[i..].starts_with(t) {
                    hit[i..i + t.len()].iter_mut().for_each(|h| *h = true);
                    first.get_or_insert(i);
                }
            }
        }
    }
    let start = first.map_or(0, |f| f.saturating_sub(width / 4));
    let end = (start + width).min(chars.len());
    let start = end.saturating_sub(width).min(start);
    let mut out: Vec<Fragment> = Vec::new();
    if start > 0 {
        out.push(Fragment {
            text: "…".into(),
            hit: false,
        });
    }
    for i in start..end {
        match out.last_mut() {
            Some(f) if f.hit == hit[i] && f.text != "…" => f.text.push(chars[i]),
            _ => out.push(Fragment {
                text: chars[i].to_string(),
                hit: hit[i],
            }),
        }
    }
    if end < chars.len() {
        out.push(Fragment {
            text: "…".into(),
            hit: false,
        });
    }
    out
}

/// `fragments` as HTML: text escaped, searched words in `<mark>`.
pub fn to_html(fragments: &[Fragment]) -> String {
    let mut out = String::new();
    for f in fragments {
        if f.hit {
            out.push_str("<mark>");
        }
        for c in f.text.chars() {
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                _ => out.push(c),
            }
        }
        if f.hit {
            out.push_str("</mark>");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_the_words_around_the_first_hit() {
        let text = format!("{}楼下饭店油烟很大<b>", "前".repeat(40));
        let s = snippet(&text, &["油烟".into()], 20);
        assert_eq!(s[0].text, "…");
        assert!(s.iter().any(|f| f.hit && f.text == "油烟"));
        let html = to_html(&s);
        assert!(html.contains("<mark>油烟</mark>"), "{html}");
        assert!(html.contains("&lt;b&gt;"), "{html}");
    }

    #[test]
    fn without_a_hit_starts_at_the_start() {
        let s = snippet("暖气不热", &["油烟".into()], 20);
        assert_eq!(
            s,
            [Fragment {
                text: "暖气不热".into(),
                hit: false
            }]
        );
    }

    #[test]
    fn latin_words_match_in_any_case() {
        let s = snippet("Broken Street light", &["street".into()], 50);
        assert!(s.iter().any(|f| f.hit && f.text == "Street"));
    }
}
