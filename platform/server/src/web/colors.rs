//! A city picks its brand colours; the pages must stay readable whatever it
//! picks. These helpers compute WCAG contrast and derive, from a brand
//! colour, a shade dark enough for text on white and the text colour that
//! reads on it (WCAG AA: 4.5:1 for normal text).

/// The contrast a page needs between text and its background (WCAG AA).
const AA: f64 = 4.5;

/// `#rrggbb` (or `#rgb`) as three channels.
fn parse(hex: &str) -> Option<[u8; 3]> {
    let digits = hex.strip_prefix('#')?;
    let full: String = match digits.len() {
        3 => digits.chars().flat_map(|c| [c, c]).collect(),
        6 => digits.to_owned(),
        _ => return None,
    };
    let channel = |i: usize| u8::from_str_radix(full.get(i..i + 2)?, 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

fn format(rgb: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2])
}

/// Relative luminance (WCAG 2).
fn luminance(rgb: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])
}

/// The contrast ratio of two colours (1 to 21).
pub fn contrast(a: &str, b: &str) -> Option<f64> {
    let (la, lb) = (luminance(parse(a)?), luminance(parse(b)?));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    Some((hi + 0.05) / (lo + 0.05))
}

/// `color`, darkened just enough to be read as text (or as a background
/// under white text) on white. An unparseable colour gives `fallback`.
pub fn ink(color: &str, fallback: &str) -> String {
    let Some(mut rgb) = parse(color) else {
        return fallback.to_owned();
    };
    for _ in 0..64 {
        if contrast(&format(rgb), "#ffffff").unwrap_or(0.0) >= AA {
            break;
        }
        rgb = rgb.map(|c| (f64::from(c) * 0.93) as u8);
    }
    format(rgb)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn contrast_matches_wcag_examples() {
        let black_white = contrast("#000000", "#ffffff").unwrap();
        assert!((black_white - 21.0).abs() < 0.01);
        assert!((contrast("#777", "#fff").unwrap() - 4.48).abs() < 0.01);
        assert_eq!(contrast("red", "#fff"), None);
    }

    #[test]
    fn light_brand_colours_are_darkened_until_readable() {
        // Daqing's orange accent is too light for white text as it is.
        assert!(contrast("#e69138", "#ffffff").unwrap() < AA);
        let dark = ink("#e69138", "#000000");
        assert!(contrast(&dark, "#ffffff").unwrap() >= AA, "{dark}");
        // A colour that already reads is kept.
        assert_eq!(ink("#0b5394", "#000000"), "#0b5394");
        assert_eq!(ink("not a colour", "#0b5394"), "#0b5394");
    }
}
