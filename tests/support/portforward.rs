//! Port-forward on the test API server, as kubelet serves it through the API server: a
//! WebSocket upgrade of `GET .../pods/NAME/portforward?ports=P` with the `v4.channel.k8s.io`
//! subprotocol (the one kube-rs speaks): each forwarded port has a data channel (2i) and an
//! error channel (2i+1), each opened by a frame holding the port (little endian), then frames
//! whose first byte names the channel. Behind each pod stands a fake ztunnel admin endpoint
//! that answers `GET /config_dump` with the dump the test gave it, or fails as asked.
#![allow(dead_code)]

use futures::{SinkExt, StreamExt};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// What the admin port of one ztunnel pod does.
#[derive(Debug, Clone)]
pub enum Admin {
    /// Answers `/config_dump` with this body.
    Dump(String),
    /// Nothing listens: kubelet reports it on the error channel.
    Refused,
    /// Accepts the connection and never answers.
    Silent,
    /// Answers with this HTTP status and no dump.
    Status(u16),
}

/// The upgrade request's headers that matter.
pub struct Upgrade {
    pub key: String,
    pub protocols: String,
}

/// Serves one port-forward connection after its request head: `admins` by pod name.
pub async fn serve<S>(
    mut io: S,
    pod: &str,
    port: u16,
    up: Upgrade,
    admins: &BTreeMap<String, Admin>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::AsyncWriteExt;
    if !up.protocols.contains("v4.channel.k8s.io") {
        let _ = io
            .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    }
    let head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n",
        derive_accept_key(up.key.as_bytes())
    );
    if io.write_all(head.as_bytes()).await.is_err() || io.flush().await.is_err() {
        return;
    }
    let mut ws = WebSocketStream::from_raw_socket(io, Role::Server, None).await;
    let p = port.to_le_bytes();
    for ch in [0u8, 1] {
        if ws
            .send(Message::binary(vec![ch, p[0], p[1]]))
            .await
            .is_err()
        {
            return;
        }
    }
    let admin = admins.get(pod).cloned().unwrap_or(Admin::Refused);
    if let Admin::Refused = admin {
        let msg = format!("error forwarding port {port} to pod {pod}, uid : failed to execute portforward in network namespace: failed to connect to localhost:{port} inside namespace: connection refused");
        let mut frame = vec![1u8];
        frame.extend_from_slice(msg.as_bytes());
        let _ = ws.send(Message::binary(frame)).await;
        let _ = ws.send(Message::Close(None)).await;
        return;
    }
    // The HTTP request arrives on channel 0.
    let mut request = Vec::new();
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match ws.next().await {
            Some(Ok(Message::Binary(b))) if b.len() > 1 && b[0] == 0 => {
                request.extend_from_slice(&b[1..])
            }
            Some(Ok(Message::Binary(_))) => {}
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
            _ => {}
        }
    }
    let response = match admin {
        Admin::Silent => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
        Admin::Status(code) => {
            format!("HTTP/1.0 {code} Error\r\nContent-Length: 0\r\n\r\n").into_bytes()
        }
        Admin::Dump(body) => {
            let text = String::from_utf8_lossy(&request);
            if !text.starts_with("GET /config_dump ") {
                b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec()
            } else {
                let mut r = format!(
                    "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                r.extend_from_slice(body.as_bytes());
                r
            }
        }
        Admin::Refused => unreachable!(),
    };
    for chunk in response.chunks(32 * 1024) {
        let mut frame = Vec::with_capacity(chunk.len() + 1);
        frame.push(0u8);
        frame.extend_from_slice(chunk);
        if ws.send(Message::binary(frame)).await.is_err() {
            return;
        }
    }
    let _ = ws.send(Message::Close(None)).await;
    // Let the client read the close before the socket goes.
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while ws.next().await.is_some() {}
    })
    .await;
}
