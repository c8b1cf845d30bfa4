pub mod enforce;
pub mod error;
pub mod mesh;
pub mod model;
pub mod selector;
pub mod snapshot;
pub mod source;
