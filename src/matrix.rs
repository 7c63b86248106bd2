//! The sparse response matrix that every analysis shares: a plain data structure that imports
//! nothing from the crate; the ingest (the `exam` module) fills it.
//!
//! Responses are stored attempt by attempt (compressed sparse rows): for attempt `k` the responses
//! are `offsets[k]..offsets[k+1]`. Each response costs 8 bytes: the item index (`u16`), a code
//! (`u16`: bits 0-14 the chosen options, bit 15 set when right) and the seconds (`f32`, NaN when
//! not recorded). Items not presented to an attempt are simply absent (missing, not wrong).

use std::fmt;

/// A set of answer options as a bit mask (bit 0 = A). The empty set means "omitted".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct OptionSet(pub u16);

impl OptionSet {
    pub const EMPTY: OptionSet = OptionSet(0);

    /// Parses `C` or `A|D` (order-insensitive, spaces ignored); `n_options` bounds the letters.
    /// An empty string is the empty set. The error says what was wrong.
    pub fn parse(text: &str, n_options: u8) -> Result<OptionSet, OptionSetError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(OptionSet::EMPTY);
        }
        let mut bits = 0u16;
        for part in text.split('|') {
            let part = part.trim();
            let mut chars = part.chars();
            let (Some(ch), None) = (chars.next(), chars.next()) else {
                return Err(OptionSetError::NotASet(text.to_string()));
            };
            let ch = ch.to_ascii_uppercase();
            if !ch.is_ascii_uppercase() {
                return Err(OptionSetError::NotALetter {
                    part: part.to_string(),
                    text: text.to_string(),
                });
            }
            let idx = ch as u8 - b'A';
            if idx >= n_options {
                return Err(OptionSetError::NoSuchOption {
                    option: ch,
                    text: text.to_string(),
                    n_options,
                    last: (b'A' + n_options - 1) as char,
                });
            }
            let bit = 1u16 << idx;
            if bits & bit != 0 {
                return Err(OptionSetError::Repeated {
                    option: ch,
                    text: text.to_string(),
                });
            }
            bits |= bit;
        }
        Ok(OptionSet(bits))
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn len(self) -> u32 {
        self.0.count_ones()
    }

    pub fn contains(self, option: u8) -> bool {
        option < 16 && self.0 & (1 << option) != 0
    }

    pub fn from_options(options: impl IntoIterator<Item = u8>) -> OptionSet {
        OptionSet(options.into_iter().fold(0, |acc, o| acc | (1 << o)))
    }
}

impl fmt::Display for OptionSet {
    /// Writes the canonical form: letters in order, joined by `|` (empty for omitted).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for i in 0..16u8 {
            if self.contains(i) {
                if !first {
                    f.write_str("|")?;
                }
                write!(f, "{}", (b'A' + i) as char)?;
                first = false;
            }
        }
        Ok(())
    }
}

/// Why a response or key is not a set of option letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionSetError {
    #[error("'{0}' is not a set of option letters like 'C' or 'A|D'")]
    NotASet(String),
    #[error("'{part}' in '{text}' is not an option letter")]
    NotALetter { part: String, text: String },
    #[error(
        "option '{option}' in '{text}' does not exist: the item has {n_options} options (A-{last})"
    )]
    NoSuchOption {
        option: char,
        text: String,
        n_options: u8,
        last: char,
    },
    #[error("option '{option}' appears twice in '{text}'")]
    Repeated { option: char, text: String },
}

/// Bit of a response code that marks a right answer.
const RIGHT_BIT: u16 = 1 << 15;

/// A growable pool of short strings stored back to back (one allocation, 4 bytes of offset each).
#[derive(Debug, Clone, Default)]
pub struct StringArena {
    text: String,
    ends: Vec<u32>,
}

impl StringArena {
    pub fn push(&mut self, s: &str) -> usize {
        self.text.push_str(s);
        self.ends.push(self.text.len() as u32);
        self.ends.len() - 1
    }
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    pub fn bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 4
    }
    /// Keeps the strings at `order` positions, in that order.
    pub fn permuted(&self, order: &[u32]) -> StringArena {
        let mut out = StringArena::default();
        for &i in order {
            out.push(self.get(i as usize));
        }
        out
    }
}

/// One response as seen by an analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Response {
    /// Index into the exam's items.
    pub item: usize,
    /// The chosen options; empty when omitted.
    pub chosen: OptionSet,
    pub right: bool,
    /// Response time in seconds; NaN when not recorded.
    pub seconds: f32,
}

impl Response {
    pub fn omitted(&self) -> bool {
        self.chosen.is_empty()
    }
}

/// Packs the chosen options and correctness into a response code.
pub fn encode(chosen: OptionSet, right: bool) -> u16 {
    (chosen.0 & !RIGHT_BIT) | if right { RIGHT_BIT } else { 0 }
}

/// Attempts x items, sparse, with the id maps and per-form masks the analyses need.
#[derive(Debug, Clone, Default)]
pub struct ResponseMatrix {
    pub(crate) attempt_ids: StringArena,
    pub(crate) submitted_at: StringArena,
    pub(crate) attempt_candidate: Vec<u32>,
    pub(crate) attempt_form: Vec<u16>,
    pub(crate) offsets: Vec<u64>,
    pub(crate) items: Vec<u16>,
    pub(crate) codes: Vec<u16>,
    pub(crate) seconds: Vec<f32>,
    pub(crate) candidate_ids: Vec<String>,
    /// Per form, per item: 0 = not on the form, 1 = pretest (unscored), 2 = scored.
    pub(crate) form_role: Vec<Vec<u8>>,
    pub(crate) item_domain: Vec<u16>,
}

/// The role an item plays on a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Absent,
    Pretest,
    Scored,
}

impl ResponseMatrix {
    pub fn n_attempts(&self) -> usize {
        self.attempt_form.len()
    }
    pub fn n_responses(&self) -> usize {
        self.items.len()
    }
    pub fn n_items(&self) -> usize {
        self.item_domain.len()
    }
    pub fn n_forms(&self) -> usize {
        self.form_role.len()
    }
    pub fn n_candidates(&self) -> usize {
        self.candidate_ids.len()
    }
    pub fn attempt_id(&self, attempt: usize) -> &str {
        self.attempt_ids.get(attempt)
    }
    /// Submission time as written in the log (ISO 8601 sorts in time order); may be empty.
    pub fn submitted_at(&self, attempt: usize) -> &str {
        self.submitted_at.get(attempt)
    }
    /// Index into [`ResponseMatrix::candidate_id`].
    pub fn candidate(&self, attempt: usize) -> usize {
        self.attempt_candidate[attempt] as usize
    }
    pub fn candidate_id(&self, candidate: usize) -> &str {
        &self.candidate_ids[candidate]
    }
    /// Index into the exam's forms.
    pub fn form(&self, attempt: usize) -> usize {
        self.attempt_form[attempt] as usize
    }
    /// Index into the exam's domains.
    pub fn domain(&self, item: usize) -> usize {
        self.item_domain[item] as usize
    }
    pub fn role(&self, form: usize, item: usize) -> Role {
        match self.form_role[form][item] {
            2 => Role::Scored,
            1 => Role::Pretest,
            _ => Role::Absent,
        }
    }
    pub fn is_scored(&self, form: usize, item: usize) -> bool {
        self.form_role[form][item] == 2
    }

    /// The responses of one attempt, in the order they were logged.
    pub fn responses(&self, attempt: usize) -> impl ExactSizeIterator<Item = Response> + '_ {
        let range = self.offsets[attempt] as usize..self.offsets[attempt + 1] as usize;
        range.map(move |r| self.response(r))
    }

    fn response(&self, r: usize) -> Response {
        let code = self.codes[r];
        Response {
            item: self.items[r] as usize,
            chosen: OptionSet(code & !RIGHT_BIT),
            right: code & RIGHT_BIT != 0,
            seconds: self.seconds[r],
        }
    }

    /// Number-right score on the form's scored items (pretest items never count).
    pub fn raw_score(&self, attempt: usize) -> u32 {
        let form = self.form(attempt);
        self.responses(attempt)
            .filter(|r| r.right && self.is_scored(form, r.item))
            .count() as u32
    }

    /// Heap bytes held by the matrix (a measured figure for the memory budget).
    pub fn heap_bytes(&self) -> usize {
        self.attempt_ids.bytes()
            + self.submitted_at.bytes()
            + self.attempt_candidate.capacity() * 4
            + self.attempt_form.capacity() * 2
            + self.offsets.capacity() * 8
            + self.items.capacity() * 2
            + self.codes.capacity() * 2
            + self.seconds.capacity() * 4
            + self
                .candidate_ids
                .iter()
                .map(|s| s.capacity() + 24)
                .sum::<usize>()
            + self.form_role.iter().map(|f| f.capacity()).sum::<usize>()
            + self.item_domain.capacity() * 2
    }
}
