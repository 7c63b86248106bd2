//! Linking and equating across forms.

pub mod classical;
pub mod equipercentile;
pub mod irt_observed;
pub mod irt_true;
pub mod linking;
pub mod workflow;
