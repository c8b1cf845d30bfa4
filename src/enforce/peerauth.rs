//! PeerAuthentication in ambient (SEMANTICS.md 7): istiod turns the effective mTLS mode into
//! DENY policies for ztunnel (`convertedSelectorPeerAuthentications` / `convertPeerAuthentication`).
//! Istio's port-level outcomes are reproduced as they are, quirks included, and flagged.

use super::ztunnel::{Clause, Match, StringMatch, ZRule};
use crate::model::{PeerAuthentication, Pod};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Unset,
    Strict,
    Permissive,
    Disable,
}

impl Mode {
    pub fn parse(s: &str) -> Self {
        match s {
            "STRICT" => Mode::Strict,
            "PERMISSIVE" => Mode::Permissive,
            "DISABLE" => Mode::Disable,
            _ => Mode::Unset,
        }
    }
    fn of(pa: &PeerAuthentication) -> Self {
        pa.spec
            .mtls
            .as_ref()
            .map_or(Mode::Unset, |m| Mode::parse(&m.mode))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Mesh,
    Namespace,
    Workload,
}

/// The effective plaintext policy of one workload at its ztunnel.
#[derive(Debug, Clone, PartialEq)]
pub struct MtlsOutcome {
    /// Plaintext rejected by default.
    pub strict: bool,
    /// Target ports where the opposite of `strict` holds.
    pub exceptions: BTreeSet<u16>,
    /// PeerAuthentications consulted: (index, level, decided the outcome).
    pub consulted: Vec<(usize, Level, bool)>,
    /// Set when Istio's result differs from what the policies say (SEMANTICS.md 7.3).
    pub quirk: Option<String>,
    /// A sidecar with mode DISABLE: no mTLS at all (ztunnel has no such mode: there DISABLE
    /// acts as PERMISSIVE).
    pub disabled: bool,
}

impl MtlsOutcome {
    pub fn describe(&self) -> String {
        let ports = |s: &BTreeSet<u16>| s.iter().map(u16::to_string).collect::<Vec<_>>().join(",");
        let open = if self.disabled {
            "DISABLE"
        } else {
            "PERMISSIVE"
        };
        match (self.strict, self.exceptions.is_empty()) {
            (true, true) => "STRICT".into(),
            (true, false) => format!("STRICT except port {}", ports(&self.exceptions)),
            (false, true) => open.into(),
            (false, false) => format!("{open}, STRICT on port {}", ports(&self.exceptions)),
        }
    }

    /// The DENY rules ztunnel receives for this outcome.
    pub fn deny_rules(&self) -> Vec<ZRule> {
        let no_identity = Match {
            not_principals: vec![StringMatch::Presence],
            ..Match::default()
        };
        let ports: Vec<u16> = self.exceptions.iter().copied().collect();
        match (self.strict, ports.is_empty()) {
            (true, true) => vec![ZRule {
                clauses: vec![Clause {
                    matches: vec![no_identity],
                }],
            }],
            (true, false) => vec![ZRule {
                clauses: vec![
                    Clause {
                        matches: vec![no_identity],
                    },
                    Clause {
                        matches: vec![Match {
                            not_destination_ports: ports,
                            ..Match::default()
                        }],
                    },
                ],
            }],
            (false, true) => vec![],
            (false, false) => ports
                .into_iter()
                .map(|p| ZRule {
                    clauses: vec![Clause {
                        matches: vec![Match {
                            destination_ports: vec![p],
                            ..no_identity.clone()
                        }],
                    }],
                })
                .collect(),
        }
    }
}

fn oldest<'a>(
    it: impl Iterator<Item = (usize, &'a PeerAuthentication)>,
) -> Option<(usize, &'a PeerAuthentication)> {
    it.min_by(|a, b| {
        (
            a.1.metadata.creation_timestamp.as_str(),
            a.1.metadata.name.as_str(),
        )
            .cmp(&(
                b.1.metadata.creation_timestamp.as_str(),
                b.1.metadata.name.as_str(),
            ))
    })
}

fn is_levelwide(pa: &PeerAuthentication) -> bool {
    pa.spec
        .selector
        .as_ref()
        .and_then(|s| s.match_labels.as_ref())
        .is_none_or(|m| m.is_empty())
}

type Found<'a> = Option<(usize, &'a PeerAuthentication)>;

/// Per PeerAuthentication, whether the istiod that decides takes it; `None`: all of them.
/// ztunnel's istiod leaves out those labelled for another revision from 1.25.4 and 1.26.3
/// (`configFilter` on the PeerAuthentication informer in AMB/ambientindex.go at 1.27.0).
pub type Taken<'t> = Option<&'t [bool]>;

/// The mesh, namespace and workload PeerAuthentication of a pod: the oldest of each level.
/// Root-namespace selector policies count at no level.
/// `taken`: the PeerAuthentications the deciding istiod takes (its revision's: `Taken`).
fn levels<'a>(
    pod: &Pod,
    pas: &'a [PeerAuthentication],
    root_ns: &str,
    taken: Taken,
) -> (Found<'a>, Found<'a>, Found<'a>) {
    let ns = &pod.metadata.namespace;
    let all = || {
        pas.iter()
            .enumerate()
            .filter(move |(i, _)| taken.is_none_or(|t| t[*i]))
    };
    let mesh = oldest(all().filter(|(_, p)| p.metadata.namespace == root_ns && is_levelwide(p)));
    let nsp = oldest(
        all().filter(|(_, p)| &p.metadata.namespace == ns && ns != root_ns && is_levelwide(p)),
    );
    let wl = oldest(all().filter(|(_, p)| {
        &p.metadata.namespace == ns
            && !is_levelwide(p)
            && p.spec
                .selector
                .as_ref()
                .is_some_and(|s| s.labels_match(&pod.metadata.labels))
    }));
    (mesh, nsp, wl)
}

/// Which levels were consulted, and which decided the mode (the most specific one set).
fn consulted(
    mesh: Found,
    nsp: Found,
    wl: Found,
    modes: (Mode, Mode, Mode),
    has_ports: bool,
) -> Vec<(usize, Level, bool)> {
    let (mesh_mode, ns_mode, wl_mode) = modes;
    let wl_decides = wl_mode != Mode::Unset;
    let ns_decides = ns_mode != Mode::Unset && !wl_decides;
    let mut out = Vec::new();
    if let Some((i, _)) = mesh {
        out.push((
            i,
            Level::Mesh,
            !ns_decides && !wl_decides && mesh_mode != Mode::Unset,
        ));
    }
    if let Some((i, _)) = nsp {
        out.push((i, Level::Namespace, ns_decides));
    }
    if let Some((i, _)) = wl {
        out.push((i, Level::Workload, wl_decides || has_ports));
    }
    out
}

fn port_modes(pa: &PeerAuthentication) -> Vec<(u16, Mode)> {
    pa.spec
        .port_level_mtls
        .iter()
        .filter_map(|(p, m)| Some((p.parse::<u16>().ok()?, Mode::parse(&m.mode))))
        .collect()
}

/// The mode a **sidecar** applies (`ComposePeerAuthentication`,
/// `pilot/pkg/security/authn/policy_applier.go`): PERMISSIVE by default, then the mesh,
/// namespace and workload levels, each overriding when set; the workload policy's
/// port-level entries override per port (UNSET inherits). DISABLE stays DISABLE, and none of
/// ambient's conversion quirks apply: ztunnel does not capture sidecar pods (SEMANTICS.md 2.1).
pub fn sidecar_effective(pod: &Pod, pas: &[PeerAuthentication], root_ns: &str) -> MtlsOutcome {
    let (mesh, nsp, wl) = levels(pod, pas, root_ns, None);
    let modes = (
        mesh.map_or(Mode::Unset, |m| Mode::of(m.1)),
        nsp.map_or(Mode::Unset, |n| Mode::of(n.1)),
        wl.map_or(Mode::Unset, |w| Mode::of(w.1)),
    );
    let mode = [modes.0, modes.1, modes.2]
        .into_iter()
        .rfind(|m| *m != Mode::Unset)
        .unwrap_or(Mode::Permissive);
    let ports = wl.map(|w| port_modes(w.1)).unwrap_or_default();
    let strict = mode == Mode::Strict;
    MtlsOutcome {
        strict,
        exceptions: ports
            .iter()
            .filter(|(_, m)| *m != Mode::Unset && (*m == Mode::Strict) != strict)
            .map(|(p, _)| *p)
            .collect(),
        consulted: consulted(mesh, nsp, wl, modes, !ports.is_empty()),
        quirk: None,
        disabled: mode == Mode::Disable,
    }
}

/// `fetchPeerAuthentications` + the effective-mode logic, for one pod at its ztunnel.
pub fn effective(
    pod: &Pod,
    pas: &[PeerAuthentication],
    root_ns: &str,
    taken: Taken,
) -> MtlsOutcome {
    let (mesh, nsp, wl) = levels(pod, pas, root_ns, taken);
    let mesh_mode = mesh.map_or(Mode::Unset, |m| Mode::of(m.1));
    let ns_mode = nsp.map_or(Mode::Unset, |n| Mode::of(n.1));
    let wl_mode = wl.map_or(Mode::Unset, |w| Mode::of(w.1));

    let mut inherited = mesh_mode == Mode::Strict;
    if ns_mode != Mode::Unset {
        inherited = ns_mode == Mode::Strict;
    }
    let mut strict = inherited;
    match wl_mode {
        Mode::Strict => strict = true,
        Mode::Permissive | Mode::Disable => strict = false,
        Mode::Unset => {}
    }
    let port_modes = wl.map(|w| port_modes(w.1)).unwrap_or_default();
    let mut out = MtlsOutcome {
        strict,
        exceptions: BTreeSet::new(),
        consulted: consulted(
            mesh,
            nsp,
            wl,
            (mesh_mode, ns_mode, wl_mode),
            !port_modes.is_empty(),
        ),
        quirk: None,
        disabled: false,
    };
    let Some((_, w)) = wl else {
        return out;
    };
    if port_modes.is_empty() || w.metadata.namespace == root_ns {
        return out;
    }
    let with = |pred: &dyn Fn(Mode) -> bool| -> BTreeSet<u16> {
        port_modes
            .iter()
            .filter(|(_, m)| pred(*m))
            .map(|(p, _)| *p)
            .collect()
    };
    let strict_ports = with(&|m| m == Mode::Strict);
    let open_ports = with(&|m| matches!(m, Mode::Permissive | Mode::Disable));
    let permissive_ports = with(&|m| m == Mode::Permissive);
    let disable_ports = with(&|m| m == Mode::Disable);
    let list = |s: &BTreeSet<u16>| s.iter().map(u16::to_string).collect::<Vec<_>>().join(",");
    match wl_mode {
        Mode::Strict => out.exceptions = open_ports,
        Mode::Permissive | Mode::Disable if !strict_ports.is_empty() => {
            if nsp.is_none() && mesh_mode == Mode::Strict {
                out.quirk = Some(format!(
                    "Istio drops the STRICT port-level setting on port {} (the converted policy \
                     is never produced when the mesh is STRICT, no namespace policy exists and \
                     the workload policy is {:?}): plaintext is accepted there",
                    list(&strict_ports),
                    wl_mode
                ));
            } else {
                out.exceptions = strict_ports;
            }
        }
        Mode::Unset if inherited => {
            if !disable_ports.is_empty() {
                out.quirk = Some(format!(
                    "port-level DISABLE on port {} is ignored when the workload inherits STRICT: \
                     istiod only looks for PERMISSIVE ports, so the port stays STRICT",
                    list(&disable_ports)
                ));
            }
            if !permissive_ports.is_empty() {
                if nsp.is_some() && ns_mode == Mode::Unset {
                    out.strict = false;
                    out.quirk = Some(format!(
                        "Istio references a converted policy that it never produces (namespace \
                         PeerAuthentication with mode UNSET + PERMISSIVE port {}): the whole \
                         workload accepts plaintext",
                        list(&permissive_ports)
                    ));
                } else {
                    out.exceptions = permissive_ports;
                }
            }
        }
        Mode::Unset => out.exceptions = strict_ports,
        _ => {}
    }
    out
}
