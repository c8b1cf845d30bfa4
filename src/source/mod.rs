//! Sources of a Snapshot. Only this module does I/O.

pub mod files;
