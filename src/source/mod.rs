//! Sources of a Snapshot. Only this module does I/O.

pub mod cluster;
pub mod files;
pub mod kinds;
