//! Dichotomous responses as the IRT engine reads them: per person (attempt or response pattern)
//! the items seen and 0/1, a frequency weight and a group. Items not presented are simply absent,
//! so incomplete designs (forms sharing anchors, pools) cost only what was observed.

use crate::matrix::ResponseMatrix;

/// Sparse 0/1 responses. A response code is `2 * item + x`.
#[derive(Debug, Clone, Default)]
pub struct Responses {
    pub item_ids: Vec<String>,
    pub(crate) offsets: Vec<u64>,
    pub(crate) codes: Vec<u32>,
    /// Frequency weight of each person (1 for attempts; pattern counts for pattern data).
    pub weight: Vec<f64>,
    /// Group of each person (index into `group_names`).
    pub group: Vec<u16>,
    pub group_names: Vec<String>,
    /// Identifier of each person (attempt id or row label).
    pub person_ids: Vec<String>,
}

impl Responses {
    pub fn n_items(&self) -> usize {
        self.item_ids.len()
    }
    pub fn n_persons(&self) -> usize {
        self.weight.len()
    }
    pub fn n_groups(&self) -> usize {
        self.group_names.len()
    }
    /// Response codes (2 * item + x) of person `p`.
    pub fn codes(&self, p: usize) -> &[u32] {
        &self.codes[self.offsets[p] as usize..self.offsets[p + 1] as usize]
    }
    pub fn n_responses(&self) -> usize {
        self.codes.len()
    }

    /// Builds from 0/1 rows (`None` = not presented) with weights; one group.
    /// The responses of a wide 0/1 matrix read by [`crate::exam::wide`].
    pub fn from_wide(w: crate::exam::wide::WideMatrix) -> Responses {
        let mut r = Responses::from_rows(w.item_ids, &w.rows, &w.weights);
        r.person_ids = w.person_ids;
        r
    }

    pub fn from_rows(
        item_ids: Vec<String>,
        rows: &[Vec<Option<u8>>],
        weights: &[f64],
    ) -> Responses {
        let mut r = Responses {
            item_ids,
            offsets: vec![0],
            group_names: vec!["all".into()],
            ..Default::default()
        };
        for (k, row) in rows.iter().enumerate() {
            for (i, x) in row.iter().enumerate() {
                if let Some(x) = x {
                    r.codes.push(2 * i as u32 + (*x > 0) as u32);
                }
            }
            r.offsets.push(r.codes.len() as u64);
            r.weight.push(weights[k]);
            r.group.push(0);
            r.person_ids.push((k + 1).to_string());
        }
        r
    }

    /// Every presented item of every attempt (scored and pretest; omitted = wrong), with the
    /// attempt's form as its group when `group_by_form`.
    pub fn from_matrix(
        m: &ResponseMatrix,
        item_ids: Vec<String>,
        form_ids: &[String],
        group_by_form: bool,
    ) -> Responses {
        let mut codes = Vec::with_capacity(m.n_responses());
        let mut offsets = Vec::with_capacity(m.n_attempts() + 1);
        offsets.push(0);
        let mut group = Vec::with_capacity(m.n_attempts());
        let mut person_ids = Vec::with_capacity(m.n_attempts());
        for a in 0..m.n_attempts() {
            for r in m.responses(a) {
                codes.push(2 * r.item as u32 + r.right as u32);
            }
            offsets.push(codes.len() as u64);
            group.push(if group_by_form { m.form(a) as u16 } else { 0 });
            person_ids.push(m.attempt_id(a).to_string());
        }
        Responses {
            item_ids,
            offsets,
            codes,
            weight: vec![1.0; m.n_attempts()],
            group,
            group_names: if group_by_form {
                form_ids.to_vec()
            } else {
                vec!["all".into()]
            },
            person_ids,
        }
    }

    /// Forgets every person's responses, keeping the items and the persons (ids, groups,
    /// weights): for a caller done with the response data, which are 4 bytes a response (the
    /// run's stages after equating read the matrix instead).
    pub fn forget_codes(&mut self) {
        self.codes = Vec::new();
        self.offsets = vec![0; self.n_persons() + 1];
    }

    /// Renumbers items by `map[old] = new` (all presented items must map) with new ids.
    pub fn remap_items(&mut self, map: &[u32], item_ids: Vec<String>) {
        for c in self.codes.iter_mut() {
            *c = 2 * map[(*c / 2) as usize] + (*c & 1);
        }
        self.item_ids = item_ids;
    }

    /// The persons of group `g` alone, with items and group numbers as they are here.
    pub fn group_persons(&self, g: u16) -> Responses {
        let mut out = Responses {
            item_ids: self.item_ids.clone(),
            offsets: vec![0],
            group_names: self.group_names.clone(),
            ..Default::default()
        };
        for p in (0..self.n_persons()).filter(|&p| self.group[p] == g) {
            out.codes.extend_from_slice(self.codes(p));
            out.offsets.push(out.codes.len() as u64);
            out.weight.push(self.weight[p]);
            out.group.push(g);
            out.person_ids.push(self.person_ids[p].clone());
        }
        out
    }

    /// The persons of group `g` alone, as one group, keeping only the items they saw; returns
    /// the subset and, for each of its items, the item's index here.
    pub fn select_group(&self, g: u16) -> (Responses, Vec<usize>) {
        let mut out = self.group_persons(g);
        let mut seen = vec![false; self.n_items()];
        for &c in &out.codes {
            seen[c as usize / 2] = true;
        }
        let items: Vec<usize> = (0..self.n_items()).filter(|&i| seen[i]).collect();
        let mut map = vec![u32::MAX; self.n_items()];
        for (k, &i) in items.iter().enumerate() {
            map[i] = k as u32;
        }
        let ids = items.iter().map(|&i| self.item_ids[i].clone()).collect();
        out.remap_items(&map, ids);
        out.group.iter_mut().for_each(|x| *x = 0);
        out.group_names = vec![self
            .group_names
            .get(g as usize)
            .cloned()
            .unwrap_or_default()];
        (out, items)
    }
}

/// Persons who answered the same items, in a block (see [`Responses::item_set_blocks`]).
#[derive(Debug, Clone)]
pub struct PersonBlock {
    /// The items, sorted: the block's common set, or for a pooled block the union of its
    /// persons' items.
    pub items: Vec<u32>,
    /// The persons, in order.
    pub persons: Vec<u32>,
    /// A pool of persons from rare item sets (each answered only some of `items`).
    pub pooled: bool,
}

impl Responses {
    /// The persons with a positive weight in blocks of at most `block`, by the set of items they
    /// answered (leaving out items marked in `skip`): the persons of each set with at least
    /// `min_set` persons (sets in order of first appearance, persons in order), then the persons
    /// of rarer sets pooled. Sums over persons done block by block (a matrix product per block)
    /// are then the same whatever the number of threads.
    pub fn item_set_blocks(&self, skip: &[bool], block: usize, min_set: usize) -> Vec<PersonBlock> {
        let mut set_of: rustc_hash::FxHashMap<Vec<u32>, usize> = Default::default();
        let mut sets: Vec<(Vec<u32>, Vec<u32>)> = Vec::new();
        let mut key = Vec::new();
        for p in 0..self.n_persons() {
            if self.weight[p] <= 0.0 {
                continue;
            }
            key.clear();
            key.extend(
                self.codes(p)
                    .iter()
                    .map(|&c| c / 2)
                    .filter(|&i| !skip[i as usize]),
            );
            key.sort_unstable();
            key.dedup();
            let id = match set_of.get(key.as_slice()) {
                Some(&id) => id,
                None => {
                    set_of.insert(key.clone(), sets.len());
                    sets.push((key.clone(), Vec::new()));
                    sets.len() - 1
                }
            };
            sets[id].1.push(p as u32);
        }
        let mut blocks = Vec::new();
        let mut rare: Vec<u32> = Vec::new();
        for (items, persons) in sets {
            if persons.len() < min_set {
                rare.extend(persons);
                continue;
            }
            for chunk in persons.chunks(block) {
                blocks.push(PersonBlock {
                    items: items.clone(),
                    persons: chunk.to_vec(),
                    pooled: false,
                });
            }
        }
        rare.sort_unstable();
        for chunk in rare.chunks(block) {
            let mut items: Vec<u32> = chunk
                .iter()
                .flat_map(|&p| self.codes(p as usize).iter().map(|&c| c / 2))
                .filter(|&i| !skip[i as usize])
                .collect();
            items.sort_unstable();
            items.dedup();
            blocks.push(PersonBlock {
                items,
                persons: chunk.to_vec(),
                pooled: true,
            });
        }
        blocks
    }
}
