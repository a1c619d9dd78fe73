//! Segmentation: the city's words, then jieba for Chinese runs; Latin
//! words and numbers as they are, lowercased; stop words dropped.

use crate::stopwords;
use jieba_rs::{Jieba, KeywordExtract, KeywordExtractConfig, TfIdf};
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

/// The longest word a city may add (characters).
pub const MAX_WORD_CHARS: usize = 20;

/// A city's own words (place names, estates, department short names),
/// found before jieba sees the text, so they are never split.
#[derive(Clone, Debug, Default)]
pub struct CityWords {
    /// Words by their first character, longest first.
    by_first: HashMap<char, Vec<Vec<char>>>,
}

impl CityWords {
    /// The words that are 2 to [`MAX_WORD_CHARS`] characters long, without
    /// white space; others are skipped (the bundle check reports them).
    pub fn new<'a>(words: impl IntoIterator<Item = &'a str>) -> Self {
        let mut by_first: HashMap<char, Vec<Vec<char>>> = HashMap::new();
        for word in words {
            let chars: Vec<char> = normalize(word).chars().collect();
            if !(2..=MAX_WORD_CHARS).contains(&chars.len())
                || chars.iter().any(|c| c.is_whitespace())
            {
                continue;
            }
            let list = by_first.entry(chars[0]).or_default();
            if !list.contains(&chars) {
                list.push(chars);
            }
        }
        for list in by_first.values_mut() {
            list.sort_by_key(|w| std::cmp::Reverse(w.len()));
        }
        Self { by_first }
    }

    pub fn is_empty(&self) -> bool {
        self.by_first.is_empty()
    }

    /// The longest city word at the start of `rest`, in characters.
    fn match_at(&self, rest: &[char]) -> Option<usize> {
        let first = rest.first()?;
        self.by_first
            .get(first)?
            .iter()
            .find(|w| rest.starts_with(w))
            .map(Vec::len)
    }
}

/// Why a city word is not accepted, or `None` when it is.
pub fn word_problem(word: &str) -> Option<String> {
    let n = normalize(word).chars().count();
    if word.chars().any(char::is_whitespace) {
        return Some("must be one word, without spaces".into());
    }
    if !(2..=MAX_WORD_CHARS).contains(&n) {
        return Some(format!("must be 2 to {MAX_WORD_CHARS} characters"));
    }
    if !normalize(word).chars().all(char::is_alphanumeric) {
        return Some("may hold only letters and digits".into());
    }
    None
}

/// The segmenter: jieba's dictionary and its TF-IDF table, loaded once.
pub struct Segmenter {
    jieba: Jieba,
    tfidf: TfIdf,
}

impl Segmenter {
    /// The process's segmenter, made on first use (loading the dictionary
    /// takes a few hundred milliseconds; call it at start-up to pay then).
    pub fn shared() -> &'static Segmenter {
        static SHARED: OnceLock<Segmenter> = OnceLock::new();
        SHARED.get_or_init(|| {
            let stop: BTreeSet<String> = stopwords::all().map(str::to_owned).collect();
            let config = KeywordExtractConfig::builder()
                .set_stop_words(stop)
                .min_keyword_length(1)
                .build();
            let mut tfidf = TfIdf::default();
            *tfidf.config_mut() = config;
            Segmenter {
                jieba: Jieba::new(),
                tfidf,
            }
        })
    }

    /// The words of `text` in order (stop words and punctuation dropped,
    /// lowercased). With `search`, long words are followed by the dictionary
    /// words inside them (`东城领秀` → `东城领秀 东城 领秀`).
    fn words(&self, text: &str, city: &CityWords, search: bool) -> Vec<String> {
        let text = normalize(text);
        let chars: Vec<char> = text.chars().collect();
        let mut out = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while i < chars.len() {
            if let Some(n) = city.match_at(&chars[i..]) {
                self.plain(&chars[start..i], search, &mut out);
                let word: String = chars[i..i + n].iter().collect();
                if search {
                    let mut inner = Vec::new();
                    self.plain(&chars[i..i + n], true, &mut inner);
                    inner.retain(|w| *w != word);
                    push(&mut out, word);
                    out.extend(inner);
                } else {
                    push(&mut out, word);
                }
                i += n;
                start = i;
            } else {
                i += 1;
            }
        }
        self.plain(&chars[start..], search, &mut out);
        out
    }

    /// Segment text without city words: Chinese by jieba, other runs by
    /// letters and digits.
    fn plain(&self, chars: &[char], search: bool, out: &mut Vec<String>) {
        if chars.is_empty() {
            return;
        }
        let text: String = chars.iter().collect();
        let tokens = if search {
            self.jieba.cut_for_search(&text, false)
        } else {
            self.jieba.cut(&text, false)
        };
        for token in tokens {
            // jieba keeps a run of Latin letters and digits with its
            // punctuation in one token (`c-22`): split those further.
            for part in token.word.split(|c: char| !c.is_alphanumeric()) {
                if !part.is_empty() {
                    push(out, part.to_lowercase());
                }
            }
        }
    }

    /// The tokens to index for `text`: every word, with the words inside
    /// long words, in order, repeats kept (they weigh in the ranking).
    pub fn index_tokens(&self, text: &str, city: &CityWords) -> Vec<String> {
        self.words(text, city, true)
    }

    /// The terms of a query: its words as typed, each once, in order.
    pub fn query_terms(&self, text: &str, city: &CityWords) -> Vec<String> {
        let mut terms = self.words(text, city, false);
        let mut seen = std::collections::HashSet::new();
        terms.retain(|t| seen.insert(t.clone()));
        terms
    }

    /// Up to `n` keywords of `text` with TF-IDF weights (jieba's IDF table),
    /// heaviest first; the city's words count as keywords of the IDF of a
    /// rare word.
    pub fn keywords(&self, text: &str, city: &CityWords, n: usize) -> Vec<(String, f64)> {
        let mut found: Vec<(String, f64)> = self
            .tfidf
            .extract_keywords(&self.jieba, &normalize(text), n, vec![])
            .into_iter()
            .map(|k| (k.keyword.to_lowercase(), k.weight))
            .filter(|(k, _)| k.chars().any(char::is_alphanumeric))
            .collect();
        if !city.is_empty() {
            let words = self.words(text, city, false);
            let total = words.len().max(1) as f64;
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for w in words.iter().filter(|w| {
                city.match_at(&w.chars().collect::<Vec<_>>()) == Some(w.chars().count())
            }) {
                *counts.entry(w.as_str()).or_default() += 1;
            }
            for (w, c) in counts {
                if !found.iter().any(|(k, _)| k == w) {
                    found.push((w.to_owned(), 12.0 * c as f64 / total));
                }
            }
            found.sort_by(|a, b| b.1.total_cmp(&a.1));
            found.truncate(n);
        }
        found
    }
}

fn push(out: &mut Vec<String>, word: String) {
    if !stopwords::is_stop_word(&word) {
        out.push(word);
    }
}

/// Full-width Latin letters, digits and the ideographic space as their
/// ASCII forms (`Ｃ－２２` → `C-22`), so either spelling finds the other.
pub fn normalize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg() -> &'static Segmenter {
        Segmenter::shared()
    }

    #[test]
    fn two_character_words_are_words() {
        let none = CityWords::default();
        let t = seg().index_tokens("楼下饭店油烟太大，晚上噪音扰民，暖气不热", &none);
        for w in ["油烟", "噪音", "暖气"] {
            assert!(t.contains(&w.to_owned()), "{w} in {t:?}");
        }
        assert!(!t.iter().any(|w| w == "，"), "{t:?}");
    }

    #[test]
    fn stop_words_and_punctuation_are_dropped() {
        let t = seg().query_terms("我的暖气，不热了！", &CityWords::default());
        assert!(
            !t.iter().any(|w| w == "的" || w == "了" || w == "我"),
            "{t:?}"
        );
        assert!(t.contains(&"暖气".to_owned()), "{t:?}");
    }

    #[test]
    fn city_words_stay_whole_and_their_parts_are_indexed() {
        let city = CityWords::new(["东城领秀"]);
        let q = seg().query_terms("东城领秀C-22号楼暖气不热", &city);
        assert_eq!(q[0], "东城领秀");
        assert!(
            q.contains(&"c".to_owned()) && q.contains(&"22".to_owned()),
            "{q:?}"
        );
        let i = seg().index_tokens("东城领秀C-22号楼", &city);
        assert!(i.contains(&"东城领秀".to_owned()), "{i:?}");
        assert!(i.contains(&"东城".to_owned()), "{i:?}");
    }

    #[test]
    fn english_is_split_into_lowercase_words() {
        let t = seg().query_terms(
            "The street light on Elm St. is broken",
            &CityWords::default(),
        );
        assert_eq!(t, ["street", "light", "elm", "st", "broken"]);
    }

    #[test]
    fn full_width_forms_are_ascii() {
        assert_eq!(normalize("Ｃ－２２"), "C-22");
    }

    #[test]
    fn city_words_are_checked() {
        assert!(word_problem("东城领秀").is_none());
        assert!(word_problem("东").is_some());
        assert!(word_problem("东城 领秀").is_some());
        assert!(word_problem("东城-领秀").is_some());
    }

    #[test]
    fn keywords_have_weights() {
        let k = seg().keywords(
            "小区暖气不热，暖气片冰凉，家里只有十几度",
            &CityWords::default(),
            5,
        );
        assert!(k.iter().any(|(w, _)| w == "暖气"), "{k:?}");
        assert!(k.windows(2).all(|w| w[0].1 >= w[1].1), "{k:?}");
    }
}
