//! Linking and equating across forms: IRT scale linking ([`linking`]), IRT true- and
//! observed-score equating, classical equating ([`classical`]: Kolen & Brennan's methods with
//! bootstrap SEs), and the data-set workflows (separate-calibration links with anchor drift,
//! classical NEAT tables; [`workflow`]).

pub mod classical;
pub mod common_items;
pub mod equipercentile;
pub mod irt_observed;
pub mod irt_true;
pub mod kernel;
pub mod link_se;
pub mod linking;
pub mod workflow;

pub use common_items::{link_params, CommonSelection, LinkedParams};
