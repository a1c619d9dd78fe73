//! Text analysis for search, similar questions and duplicates: one job,
//! turning free text (Chinese, English or both) into the words that are
//! indexed, searched and compared. No I/O, no database.
//!
//! - [`Segmenter`] splits text into words: the city's own words first
//!   ([`CityWords`], from its bundle: estates, places, department short
//!   names), then `jieba-rs` for Chinese and a plain word tokenizer for
//!   Latin letters and digits; stop words ([`stopwords`]) are dropped.
//!   jieba's dictionary is loaded once per process ([`Segmenter::shared`]).
//! - Index tokens ([`Segmenter::index_tokens`]) also hold the shorter words
//!   inside long ones (jieba's search mode), so a query word found in a
//!   longer word still matches; query terms ([`Segmenter::query_terms`]) are
//!   the words as typed.
//! - [`similarity`]: a 64-bit SimHash over TF-IDF-weighted words and a
//!   character-bigram similarity.
//! - [`highlight`]: a short piece of text around the searched words.

pub mod duplicate;
pub mod highlight;
mod segment;
pub mod similarity;
pub mod stopwords;

pub use highlight::to_html;
pub use highlight::{Fragment, snippet};
pub use segment::{CityWords, Segmenter};
pub use segment::{normalize, word_problem};
pub use similarity::{bands, bigram_similarity, bigrams, hamming, sets_similarity, simhash};
