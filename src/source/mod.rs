//! Sources of a Snapshot. Only this module does I/O.

pub mod cluster;
mod documents;
pub mod files;
pub mod kinds;
pub mod limits;
