//! Placeholder: filled in by the filters work.

use super::Filters;

pub(super) fn register(_filters: &mut Filters) {}
