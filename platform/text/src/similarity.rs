//! Similarity of two texts: a 64-bit SimHash for near-copies, and the
//! share of character bigrams for the same question in other words.

use std::collections::HashSet;

/// The SimHash of weighted words (Charikar): each word's 64-bit hash votes
/// with its weight on every bit. Texts that differ in a few words differ
/// in a few bits.
pub fn simhash<S: AsRef<str>>(words: &[(S, f64)]) -> u64 {
    let mut votes = [0f64; 64];
    for (word, weight) in words {
        let h = fnv1a(word.as_ref());
        for (bit, vote) in votes.iter_mut().enumerate() {
            if h >> bit & 1 == 1 {
                *vote += weight;
            } else {
                *vote -= weight;
            }
        }
    }
    votes
        .iter()
        .enumerate()
        .filter(|(_, v)| **v > 0.0)
        .fold(0u64, |acc, (bit, _)| acc | 1 << bit)
}

/// FNV-1a, then a final mix (FNV alone spreads short strings poorly over
/// the high bits). Stable across processes and versions: hashes are
/// stored.
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // splitmix64's finalizer
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// How many bits two hashes differ in.
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// The four 16-bit bands of a hash: two hashes within 3 bits of each other
/// agree on at least one band (pigeonhole), so equality on a band finds
/// every near-copy.
pub fn bands(h: u64) -> [i32; 4] {
    [0, 1, 2, 3].map(|i| i32::from((h >> (16 * i)) as u16))
}

/// The character bigrams of `text`'s letters and digits (lowercased),
/// ignoring punctuation and spaces.
pub fn bigrams(text: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = crate::segment::normalize(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// How alike two texts are, 0 to 1: the mean of the Jaccard index of
/// their bigrams and how much of the shorter one the longer one holds.
pub fn bigram_similarity(a: &str, b: &str) -> f64 {
    sets_similarity(&bigrams(a), &bigrams(b))
}

/// [`bigram_similarity`] of bigram sets made once.
pub fn sets_similarity(a: &HashSet<(char, char)>, b: &HashSet<(char, char)>) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let common = a.intersection(b).count() as f64;
    let union = (a.len() + b.len()) as f64 - common;
    let jaccard = common / union;
    let containment = common / a.len().min(b.len()) as f64;
    (jaccard + containment) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_copies_are_near() {
        let a = [
            ("暖气", 3.0),
            ("不热", 2.0),
            ("东城领秀", 4.0),
            ("单元", 1.0),
            ("室温", 1.5),
        ];
        let mut b = a.to_vec();
        b[3] = ("楼栋", 1.0);
        let other = [("油烟", 3.0), ("饭店", 2.0), ("扰民", 2.0)];
        assert!(hamming(simhash(&a), simhash(&b)) < hamming(simhash(&a), simhash(&other)));
        let again: Vec<(&str, f64)> = a.iter().rev().copied().collect();
        assert_eq!(simhash(&a), simhash(&again));
    }

    #[test]
    fn bands_split_the_hash() {
        let h = 0x0004_0003_0002_0001;
        assert_eq!(bands(h), [1, 2, 3, 4]);
        assert_eq!(bands(u64::MAX), [65535; 4]);
    }

    #[test]
    fn bigrams_see_rewording() {
        let a = "东城领秀小区暖气不热";
        let b = "暖气不热，东城领秀小区";
        let c = "饭店油烟扰民";
        assert!(bigram_similarity(a, b) > 0.7);
        assert!(bigram_similarity(a, c) < 0.1);
        assert_eq!(bigram_similarity("", a), 0.0);
    }
}
