//! Where each policy is enforced: ztunnel conversion, waypoint attachment, PeerAuthentication;
//! and how one request fares against a hop's policies (`evaluate`).

pub mod attach;
pub mod evaluate;
pub mod peerauth;
pub mod ztunnel;
