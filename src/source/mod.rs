//! Sources of a Snapshot. Only this module does I/O.

pub mod cluster;
pub mod discovery;
pub(crate) mod documents;
pub mod files;
pub mod kinds;
pub mod limits;
pub mod protobuf;
pub mod request;
pub mod secrets;
