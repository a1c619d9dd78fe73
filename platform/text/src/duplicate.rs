//! Whether two cases are the same request (并单): a near-copy (SimHash
//! within 3 bits) or the same issue in other words (character bigrams of
//! title and text alike enough). Both cases must be of the same category
//! or place; the caller decides that, as it knows categories and places.

use crate::similarity::{bigrams, hamming, sets_similarity};

/// How two cases were found alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// SimHash within [`NEAR_COPY_BITS`] bits.
    NearCopy,
    /// Shared character bigrams.
    Reworded,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::NearCopy => "near_copy",
            Kind::Reworded => "reworded",
        }
    }
}

/// Hashes at most this many bits apart are near-copies.
pub const NEAR_COPY_BITS: u32 = 3;

/// A rewording is offered from this bigram similarity on (within the same
/// category or place). Chosen on the labelled pairs in
/// `tests/duplicates/pairs.tsv` (the benchmark `duplicates` prints
/// precision and recall for several thresholds): 0.25 gave precision
/// 0.945 and recall 0.938 there; 0.28 gives 0.969 and 0.863.
pub const REWORDED_MIN: f64 = 0.25;

/// One side of a comparison: the words of a case made once.
pub struct Side {
    pub simhash: u64,
    grams: std::collections::HashSet<(char, char)>,
}

impl Side {
    pub fn new(title: &str, body: &str, simhash: u64) -> Self {
        Self {
            simhash,
            grams: bigrams(&format!("{title} {body}")),
        }
    }
}

/// How alike two cases are (0 to 1), and whether as near-copies.
pub fn score(a: &Side, b: &Side) -> (f64, Kind) {
    let bits = hamming(a.simhash, b.simhash);
    let words = sets_similarity(&a.grams, &b.grams);
    if bits <= NEAR_COPY_BITS {
        (words.max(1.0 - f64::from(bits) / 64.0), Kind::NearCopy)
    } else {
        (words, Kind::Reworded)
    }
}

/// How alike two cases are and how they were found alike, when they look
/// like the same request.
pub fn duplicate(a: &Side, b: &Side) -> Option<(f64, Kind)> {
    let (s, kind) = score(a, b);
    (kind == Kind::NearCopy || s >= REWORDED_MIN).then_some((s, kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CityWords, Segmenter, simhash};

    fn side(title: &str, body: &str) -> Side {
        let words =
            Segmenter::shared().keywords(&format!("{title}。{body}"), &CityWords::default(), 48);
        Side::new(title, body, simhash(&words))
    }

    #[test]
    fn a_copy_and_a_rewording_are_duplicates_an_other_request_is_not() {
        let a = side(
            "萨尔图火车站黑车拉客",
            "萨尔图火车站出站口每天都有黑车司机拉客，还乱要价。",
        );
        let copy = side(
            "萨尔图火车站黑车拉客",
            "萨尔图火车站出站口每天都有黑车司机拉客，还乱要价。",
        );
        let reworded = side(
            "萨尔图火车站出站口黑车拉客乱要价",
            "萨尔图火车站出站口天天有黑车司机拉客，价格乱要。",
        );
        let other = side("儿童公园滑梯损坏", "儿童公园滑梯断了一块，孩子容易受伤。");
        assert_eq!(duplicate(&a, &copy).map(|d| d.1), Some(Kind::NearCopy));
        assert!(
            duplicate(&a, &reworded).is_some(),
            "{:?}",
            score(&a, &reworded)
        );
        assert!(duplicate(&a, &other).is_none(), "{:?}", score(&a, &other));
        assert!(score(&a, &reworded).0 > score(&a, &other).0);
    }
}
