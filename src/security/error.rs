//! Errors (invalid input) and "no value" reasons (valid input that a statistic cannot score).

/// Why a statistic has no value for an attempt whose input is valid: the pattern is degenerate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NoValue {
    #[error("the attempt has no responses")]
    NoResponses,
    #[error("all {n_items} responses are right: the ML theta is +infinity and person fit is not defined")]
    AllRight { n_items: usize },
    #[error("all {n_items} responses are wrong: the ML theta is -infinity and person fit is not defined")]
    AllWrong { n_items: usize },
    #[error(
        "the statistic's variance is zero at this theta (every item has P = 0.5 or no information)"
    )]
    ZeroVariance,
    #[error("{n} responses to suspected items; at least {min} needed")]
    TooFewSuspected { n: usize, min: usize },
    #[error("{n} responses to non-suspected items; at least {min} needed")]
    TooFewRest { n: usize, min: usize },
    #[error("U3 is not defined: all the attempt's items have the same weight")]
    U3Undefined,
}

/// Invalid input: an item, a response, an option or a length that does not fit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SecurityError {
    #[error("item {item}: {field} = {value}, expected {expected}")]
    BadItem {
        item: usize,
        field: &'static str,
        value: f64,
        expected: &'static str,
    },
    #[error("response {position}: item index {item} is outside the bank of {n_items} items")]
    ItemOutOfRange {
        position: usize,
        item: u32,
        n_items: usize,
    },
    #[error("response {position} (item {item}): score {score}, expected 0 or 1")]
    BadScore {
        position: usize,
        item: u32,
        score: u8,
    },
    #[error("response {position}: item {item} is answered more than once in the same attempt")]
    DuplicateItem { position: usize, item: u32 },
    #[error("attempt {attempt}: {source}")]
    InAttempt {
        attempt: usize,
        #[source]
        source: Box<SecurityError>,
    },
    #[error("{what}: expected length {expected}, found {found}")]
    LengthMismatch {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("attempt offsets must start at 0, never decrease and end at the number of responses ({n_responses}); offset {position} is {value}")]
    BadOffsets {
        position: usize,
        value: usize,
        n_responses: usize,
    },
    #[error("option {name} = {value}, expected {expected}")]
    BadOption {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
    #[error("attempt {attempt}: window {window} is not below the number of windows {n_windows}")]
    WindowOutOfRange {
        attempt: usize,
        window: u32,
        n_windows: usize,
    },
    #[error("response {position}: log-time residual {value} is not finite")]
    BadLogTime { position: usize, value: f64 },
    #[error(transparent)]
    NoValue(#[from] NoValue),
}

impl From<crate::irt::theta::ThetaError> for SecurityError {
    fn from(e: crate::irt::theta::ThetaError) -> SecurityError {
        use crate::irt::theta::ThetaError as T;
        match e {
            T::BadOption {
                name,
                value,
                expected,
            } => SecurityError::BadOption {
                name,
                value,
                expected,
            },
            T::BadResponse {
                position,
                item,
                score,
                n_items,
            } => {
                if item as usize >= n_items {
                    SecurityError::ItemOutOfRange {
                        position,
                        item,
                        n_items,
                    }
                } else {
                    SecurityError::BadScore {
                        position,
                        item,
                        score,
                    }
                }
            }
            T::NoResponses => SecurityError::NoValue(NoValue::NoResponses),
        }
    }
}

impl SecurityError {
    /// True when the input was valid but the pattern has no value for the statistic.
    pub fn is_no_value(&self) -> bool {
        match self {
            SecurityError::NoValue(_) => true,
            SecurityError::InAttempt { source, .. } => source.is_no_value(),
            _ => false,
        }
    }
}

/// Checks `lo < value < hi` (open interval) for an option.
pub(crate) fn check_open(
    name: &'static str,
    value: f64,
    lo: f64,
    hi: f64,
    expected: &'static str,
) -> Result<(), SecurityError> {
    if value.is_finite() && value > lo && value < hi {
        Ok(())
    } else {
        Err(SecurityError::BadOption {
            name,
            value,
            expected,
        })
    }
}
