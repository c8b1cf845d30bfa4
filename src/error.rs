//! Errors with the exit code they map to (DESIGN.md section 1).

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    /// Bad flags or arguments: exit 2.
    #[error("{0}")]
    Usage(String),
    /// A manifest that cannot be read or decoded: exit 2. The message names the file.
    #[error("{0}")]
    Input(String),
    /// Cluster or API failure: exit 3.
    #[error("{0}")]
    Cluster(String),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Input(_) => 2,
            Error::Cluster(_) => 3,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
