//! Linking and equating across forms.

pub mod irt_true;
pub mod linking;
pub mod workflow;
