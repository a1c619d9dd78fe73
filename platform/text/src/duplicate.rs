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
