//! Standard errors of IRT scale links, chains of links, anchor drift tests and IRT true-score
//! equated scores, by the delta method from the item parameters' covariance matrices
//! (Ogasawara 2000, 2001; Battauz 2013, 2015 — R's equateIRT is the model).
//!
//! - [`params`]: a form's (a, b, c) estimates with their covariance matrix, the delta-method
//!   conversion from the slope-intercept parameterisation (a, d, g = logit c), and
//!   [`form_from_tables`] (tables read by `exam::param_files`);
//! - [`sensitivity`]: Jacobians of derived quantities with respect to each form's parameters and
//!   the covariance they imply (forms independent; a form met twice is one parameter vector);
//! - [`constants`] (with [`curve`]): A and B by mean-mean, mean-geometric-mean, mean-sigma,
//!   Haebara and Stocking-Lord with their Jacobians (implicit differentiation of the criterion's
//!   first-order conditions for the characteristic-curve methods);
//! - [`chain`]: chains of links, the identity test of a circular chain, the scale-drift test and
//!   the (weighted) bisector of several paths;
//! - [`drift`]: displacement tests of the anchor items after linking;
//! - [`scores`]: IRT true-score equating and raw cut scores with their standard errors;
//! - [`observed`]: IRT observed-score equating with its standard errors.
//!
//! The methods, the criterion's points ([`crate::equate::linking::ThetaPoints`],
//! [`crate::equate::linking::CurveOptions`]) and the test-level functions
//! (`irt::test_level`) are qbank's own; this module adds the derivatives.

pub mod chain;
pub mod constants;
pub mod curve;
pub mod drift;
pub mod error;
pub mod observed;
pub mod params;
pub mod scores;
pub mod sensitivity;

pub use chain::{
    bisector, chain, chain_forms, identity_test, scale_drift_test, BisectorWeights, Bisectors,
    ChainResult, WaldTest,
};
pub use constants::{link_with_options, link_with_se, LinkEstimate, LinkKind, LinkOptions};
pub use drift::{anchor_drift_tests, holm_adjust, AnchorDrift, DriftOptions};
pub use error::LinkError;
pub use observed::observed_score_se;
pub use params::{form_from_tables, FormEstimates, ItemParams3pl};
pub use scores::{raw_cut_se, true_score_se, EquatedScore, RawCut, ScoreDirection};
pub use sensitivity::Sensitivity;
