//! The engine: where each policy is enforced (ztunnel conversion, waypoint attachment,
//! PeerAuthentication), one `Index` of them per Snapshot, which hops a request crosses
//! (`hops`), and how one request fares at each enforcer kind (`evaluate`).

pub mod admitted;
pub mod attach;
pub mod custom;
pub mod evaluate;
pub mod held;
pub mod hops;
pub mod index;
pub mod layered;
pub mod netpol;
pub mod network;
pub mod peerauth;
pub mod revision;
pub mod ztunnel;

pub use index::Index;
