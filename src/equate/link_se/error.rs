//! Why a link, a chain, a drift test or an equated score cannot be computed.

/// Why a link, a chain, a test or an equated score cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LinkError {
    #[error("linking needs the same common items on both forms (got {new} and {old})")]
    CommonItems { new: usize, old: usize },
    #[error("forms '{new}' and '{old}' have {n} common items; {method} needs at least {needed}")]
    TooFewCommonItems {
        new: String,
        old: String,
        n: usize,
        method: &'static str,
        needed: usize,
    },
    #[error("anchor item '{item}' is not on both forms '{new}' and '{old}'")]
    UnknownAnchor {
        item: String,
        new: String,
        old: String,
    },
    #[error("mean-sigma: the common items' b have no spread on form '{form}'")]
    NoSpread { form: String },
    #[error("{method} linking of '{new}' onto '{old}' did not reach a minimum: {detail}")]
    NotConverged {
        method: &'static str,
        new: String,
        old: String,
        detail: String,
    },
    #[error("form '{form}' has no covariance matrix: standard errors need one")]
    MissingCovariance { form: String },
    #[error("form '{form}' appears with two different parameter vectors or covariance matrices")]
    InconsistentForm { form: String },
    #[error("chain broken at link {position}: it ends on '{old}' but the next link starts from '{next_new}'")]
    ChainBreak {
        position: usize,
        old: String,
        next_new: String,
    },
    #[error("{what} needs at least {needed} links or paths, got {got}")]
    TooFewLinks {
        what: &'static str,
        needed: usize,
        got: usize,
    },
    #[error("links use different methods ({first} and {other})")]
    MixedMethods {
        first: &'static str,
        other: &'static str,
    },
    #[error("the identity test needs a circular chain; this one goes from '{new}' to '{old}'")]
    NotCircular { new: String, old: String },
    #[error("path {index} links '{new}' to '{old}' but the first path links '{expected_new}' to '{expected_old}'")]
    DifferentEnds {
        index: usize,
        new: String,
        old: String,
        expected_new: String,
        expected_old: String,
    },
    #[error("the covariance matrix of {what} is singular: the Wald statistic is undefined")]
    SingularCovariance { what: String },
    #[error("the link goes from '{link_new}' to '{link_old}' but the forms given are '{new}' and '{old}'")]
    WrongForms {
        link_new: String,
        link_old: String,
        new: String,
        old: String,
    },
    #[error("bad theta points '{spec}': {reason}")]
    BadThetaPoints { spec: String, reason: String },
    #[error("bisector weights: {reason}")]
    BadWeights { reason: String },
    #[error("{what} = {value} is not valid: {expected}")]
    BadArgument {
        what: &'static str,
        value: f64,
        expected: &'static str,
    },
}
