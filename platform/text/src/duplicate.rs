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

/// A rewording is offered from this bigram similarity on. Chosen on the
/// labelled pairs in `tests/duplicates/pairs.tsv` (see the benchmark
/// `duplicates`), favouring precision: staff should not wade through
/// cases that are not the same.
pub const REWORDED_MIN: f64 = 0.42;

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

/// How alike two cases are (0 to 1) and how they were found alike, when
/// they look like the same request.
pub fn duplicate(a: &Side, b: &Side) -> Option<(f64, Kind)> {
    let bits = hamming(a.simhash, b.simhash);
    let words = sets_similarity(&a.grams, &b.grams);
    if bits <= NEAR_COPY_BITS {
        return Some((words.max(1.0 - f64::from(bits) / 64.0), Kind::NearCopy));
    }
    (words >= REWORDED_MIN).then_some((words, Kind::Reworded))
}
