//! The duplicate finder (并单) against a labelled set: `tests/duplicates/
//! pairs.tsv`, pairs of Chinese case texts written for the test (see
//! `make_pairs.py` beside it), each marked as the same request or not.
//! Prints precision and recall of the rule the staff case page uses (a
//! near-copy by SimHash, or a rewording by character bigrams, within the
//! same category; targets precision ≥ 0.9, recall ≥ 0.8), by kind of pair,
//! and how the two change with the bigram threshold.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use minsheng_app::services::search::fingerprint;
use minsheng_text::CityWords;
use minsheng_text::duplicate::{Kind, REWORDED_MIN, Side, score};

struct Pair {
    label: bool,
    same_category: bool,
    a: Side,
    b: Side,
}

fn load() -> Vec<Pair> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/duplicates/pairs.tsv"
    );
    let text = std::fs::read_to_string(path).expect("the labelled pairs");
    let city = CityWords::default();
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let side = |t: &str, x: &str| Side::new(t, x, fingerprint(&city, t, x) as u64);
            Pair {
                label: f[0] == "1",
                same_category: f[1] == "1",
                a: side(f[2], f[3]),
                b: side(f[4], f[5]),
            }
        })
        .collect()
}

/// (true positives, false positives, false negatives) at `threshold`.
fn count(pairs: &[Pair], threshold: f64) -> (u32, u32, u32) {
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for p in pairs {
        let (s, kind) = score(&p.a, &p.b);
        let found = p.same_category && (kind == Kind::NearCopy || s >= threshold);
        match (found, p.label) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            _ => {}
        }
    }
    (tp, fp, fn_)
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        1.0
    } else {
        f64::from(a) / f64::from(b)
    }
}

fn main() {
    let started = std::time::Instant::now();
    let pairs = load();
    let dups = pairs.iter().filter(|p| p.label).count();
    println!(
        "duplicates: {} labelled pairs ({dups} the same request), scored in {:.0} ms",
        pairs.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    let (tp, fp, fn_) = count(&pairs, REWORDED_MIN);
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    println!(
        "  at the threshold in use ({REWORDED_MIN}): precision {precision:.3} (target ≥ 0.9), recall {recall:.3} (target ≥ 0.8)  [tp {tp}, fp {fp}, fn {fn_}]"
    );
    let near = pairs
        .iter()
        .filter(|p| {
            p.label
                && minsheng_text::hamming(p.a.simhash, p.b.simhash)
                    <= minsheng_text::duplicate::NEAR_COPY_BITS
        })
        .count();
    println!("  pairs found as near-copies by SimHash alone: {near}");
    println!("  threshold  precision  recall");
    for t in [0.20, 0.22, 0.25, 0.28, 0.30, 0.32, 0.35, 0.40, 0.45, 0.50] {
        let (tp, fp, fn_) = count(&pairs, t);
        println!(
            "  {t:>9.2}  {:>9.3}  {:>6.3}",
            ratio(tp, tp + fp),
            ratio(tp, tp + fn_)
        );
    }
}
