//! Where each policy is enforced: ztunnel conversion, waypoint attachment, PeerAuthentication.

pub mod attach;
pub mod peerauth;
pub mod ztunnel;
