//! The case lifecycle: what staff and customers may do to a case, and when.
//!
//! A case's state is folded from its event log (never edited in place), so
//! the same log gives the status, the owner and the clocks. `permit` says
//! who may do what in which state (one rule, asked by the server and by the
//! console's buttons); `decide` checks one staff action against it and the
//! input, and returns the event to append, or why not.

mod customer;
mod decide;
mod events;
mod permit;
mod state;

pub use customer::*;
pub use decide::*;
pub use events::*;
pub use permit::*;
pub use state::*;

#[cfg(test)]
mod tests;
