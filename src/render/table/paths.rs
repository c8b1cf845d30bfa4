//! PATHS: for each destination, one line per source class with its hops, the identity each
//! hop sees, the policies there and the destination ztunnel's verdict.

use super::{counted, Page};
use crate::explain::report::{Hop, PathReport, Section};
use crate::parallel::{self, Split};
use crate::render::layout::wrap;
use crate::render::sections::PER_PIECE;
use crate::render::style::Paint;
use std::borrow::Borrow;
use std::fmt::Write;
use std::ops::Range;
use std::sync::Arc;

/// The paths a report draws: held (`Vec<PathReport>`: a report narrowed to one namespace, or
/// given whole) or built as they are drawn (`explain::Paths`). A big mesh's paths are most
/// of its report; built as they are drawn, they are never held whole, only their text
/// (issue 16).
pub trait Source: Sync {
    /// Appends the paths' text to `out`.
    fn draw(&self, page: &Page, out: &mut String) -> Drawn;
}

impl Source for Vec<PathReport> {
    fn draw(&self, page: &Page, out: &mut String) -> Drawn {
        draw(&Runs(self), page, out)
    }
}

/// Paths built as they are drawn (`explain::Paths`).
impl<S: Section> Source for S
where
    S::Item: Borrow<PathReport>,
{
    fn draw(&self, page: &Page, out: &mut String) -> Drawn {
        draw(self, page, out)
    }
}

/// Held paths, handed out a destination at a time (as `explain::Paths` hands them out): a
/// destination's name is drawn once, above its first path, so its paths are never split
/// between two pieces.
struct Runs<'a>(&'a [PathReport]);

impl<'a> Section for Runs<'a> {
    type Part = Range<usize>;
    type State = ();
    type Item = &'a PathReport;

    fn parts(&self) -> Vec<Range<usize>> {
        let mut runs: Vec<Range<usize>> = Vec::new();
        for (i, path) in self.0.iter().enumerate() {
            match runs.last_mut() {
                Some(run) if self.0[run.start].destination == path.destination => run.end = i + 1,
                _ => runs.push(i..i + 1),
            }
        }
        runs
    }

    fn state(&self) {}

    fn build(&self, _: &mut (), run: &Range<usize>, emit: &mut dyn FnMut(&'a PathReport)) {
        self.0[run.clone()].iter().for_each(emit)
    }
}

/// The text of some paths (a piece's: the whole section's is written where it goes), and
/// what the section's head says of them.
#[derive(Default)]
pub struct Drawn {
    text: String,
    /// Any path drawn.
    any: bool,
    /// A waypoint or sidecar on some path applies policies: it decides per request.
    per_request: bool,
    /// The destination of the piece's first path, and the length of the lines naming it:
    /// they are left out where the piece before ended with the same destination.
    first: Option<(Arc<str>, usize)>,
    /// The destination of the last path drawn (`None`: none yet in this piece).
    last: Option<Arc<str>>,
}

/// Draws `paths` on every core (`parallel::in_order`) into `out`: each thread builds and
/// draws whole destinations; only their text crosses threads.
fn draw<S: Section>(paths: &S, page: &Page, out: &mut String) -> Drawn
where
    S::Item: Borrow<PathReport>,
{
    let build = |state: &mut S::State, piece: &[S::Part]| {
        let mut d = Drawn::default();
        for part in piece {
            paths.build(state, part, &mut |path| d.path(path.borrow(), page));
        }
        d
    };
    // No destination is named before the first path ("" as the one before).
    let mut all = Drawn {
        last: Some("".into()),
        ..Drawn::default()
    };
    let take = |d: Drawn| {
        let named = match (&d.first, &all.last) {
            (Some((first, len)), Some(last)) if first == last => *len,
            _ => 0,
        };
        out.push_str(&d.text[named..]);
        all.any |= d.any;
        all.per_request |= d.per_request;
        if d.last.is_some() {
            all.last = d.last;
        }
        Ok::<(), std::convert::Infallible>(())
    };
    let split = Split::for_machine(PER_PIECE);
    let Ok(()) = parallel::in_order(&paths.parts(), split, || paths.state(), build, take);
    paths.finish();
    all
}

pub(super) fn section(out: &mut String, page: &Page) {
    let Page { p, width, .. } = *page;
    let _ = writeln!(out, "{}", p.heading("PATHS"));
    let start = out.len();
    let drawn = page.paths.draw(page, out);
    if !drawn.any {
        let _ = writeln!(out, "{}", p.dim("no destination workloads in scope"));
    }
    // Said above the paths, once they are drawn.
    if drawn.per_request {
        let line = "=> is the destination ztunnel's verdict; waypoints and sidecars decide per \
                    request (see check)";
        let mut head = String::new();
        for l in wrap(line, width) {
            let _ = writeln!(head, "{}", p.dim(&l));
        }
        out.insert_str(start, &head);
    }
    let _ = writeln!(out);
}

impl Drawn {
    /// One path, after the lines naming its destination where the path before had another.
    fn path(&mut self, path: &PathReport, page: &Page) {
        let Page { o, p, width, .. } = *page;
        let out = &mut self.text;
        self.any = true;
        self.per_request |= path
            .hops
            .iter()
            .any(|h| matches!(h.component, "waypoint" | "sidecar") && !h.policies.is_empty());
        let outside = path.hops.last().is_some_and(|h| h.component == "none");
        if self.last.as_ref() != Some(&path.destination) {
            self.last = Some(path.destination.clone());
            let start = out.len();
            let _ = writeln!(out, "{}", path.destination);
            if path.pods.len() > 1 {
                let others: Vec<&str> = path
                    .pods
                    .iter()
                    .filter(|p| **p != path.destination)
                    .map(|p| p.rsplit('/').next().unwrap_or(p))
                    .collect();
                let line = format!("same paths for {}", others.join(", "));
                for l in wrap(&line, width - 2) {
                    let _ = writeln!(out, "  {}", p.dim(&l));
                }
            }
            if outside {
                let why = path
                    .note
                    .as_deref()
                    .unwrap_or("destination is not in the mesh");
                for line in wrap(&format!("every path: {why}"), width - 2) {
                    let _ = writeln!(out, "  {}", p.warn(&line));
                }
            }
            if start == 0 {
                self.first = Some((path.destination.clone(), out.len()));
            }
        }
        if outside {
            return;
        }
        let hops = path
            .hops
            .iter()
            .map(|h| hop_text(&p, h, o.wide))
            .collect::<Vec<_>>()
            .join(" > ");
        let lead = format!("  {:<16} ", path.source);
        for (i, line) in wrap(&hops, width - lead.len() - 2).into_iter().enumerate() {
            let _ = writeln!(
                out,
                "{}{line}",
                if i == 0 {
                    lead.clone()
                } else {
                    " ".repeat(lead.len() + 2)
                }
            );
        }
        let mut extra = Vec::new();
        if let Some(v) = &path.via {
            extra.push(format!("addressed to {v}"));
        }
        if let Some(n) = &path.note {
            extra.push(n.clone());
        }
        for line in wrap(&extra.join("; "), width - lead.len()) {
            let _ = writeln!(out, "{}{}", " ".repeat(lead.len()), p.dim(&line));
        }
        if let Some(g) = &path.network_policy {
            let line = match g.verdict.as_str() {
                // The verdict above is Istio's; the CNI's gate comes first on the wire.
                "deny" => format!(
                    "but NetworkPolicy blocks it first, {}: no rule of {} admits it",
                    g.wire,
                    g.policies.join(", ")
                ),
                _ => format!(
                    "NetworkPolicy {} admits only the clients its rules name {}",
                    g.policies.join(", "),
                    g.wire
                ),
            };
            for l in wrap(&line, width - lead.len()) {
                let l = if g.verdict == "deny" {
                    p.bad(&l)
                } else {
                    p.warn(&l)
                };
                let _ = writeln!(out, "{}{l}", " ".repeat(lead.len()));
            }
        }
    }
}

fn hop_text(p: &Paint, h: &Hop, wide: bool) -> String {
    let mut s = match (h.component, &h.name) {
        ("waypoint", Some(n)) => format!("waypoint {n}"),
        (c, _) => c.to_string(),
    };
    if matches!(h.component, "ztunnel" | "sidecar") {
        s.push_str(&format!(" [{}]", h.source_identity));
    }
    let n = h.policies.len();
    if wide && n > 0 {
        s.push_str(&format!(" {{{}}}", h.policies.join(", ")));
    } else if n > 0 {
        s.push_str(&format!(" ({})", counted(n, "policy", "policies")));
    }
    if h.component == "none" {
        s = p.warn("not in mesh");
    }
    // The verdict is this hop's (ztunnel's L4 decision), not the request's: a waypoint or
    // sidecar before it decides per request, which `check` evaluates.
    match &h.verdict {
        Some(crate::explain::report::Verdict::Allow) => {
            s.push_str(&format!(" {}", p.good("=> allow")))
        }
        Some(crate::explain::report::Verdict::Deny(_)) => {
            s.push_str(&format!(" {}", p.bad("=> deny")))
        }
        Some(crate::explain::report::Verdict::Depends) => {
            s.push_str(&format!(" {}", p.warn("=> depends on the client")))
        }
        None => {}
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_destination_whose_paths_fall_in_two_pieces_is_named_once() {
        let snap = crate::snapshot::Snapshot::default();
        let scope = crate::explain::Scope {
            namespace: None,
            selector: None,
        };
        let e = crate::explain::explain(&snap, &scope).with((), ());
        let o = crate::render::table::Options::default();
        let paths = &Vec::<PathReport>::new();
        let page = Page {
            e: &e,
            workloads: Default::default(),
            paths,
            o: &o,
            p: Paint::plain(),
            width: 100,
        };
        let path = |d: &str, source: &str| PathReport {
            destination: d.into(),
            pods: [d.into(), format!("{d}-2").into()].into(),
            source: source.to_string().into(),
            via: None,
            hops: vec![],
            note: None,
            network_policy: None,
            weight: None,
            network: None,
        };
        // Three paths of one destination across the first piece's end.
        let mut all: Vec<PathReport> = (0..PER_PIECE - 1)
            .map(|i| path(&format!("Pod/a/p{i}"), "ambient-service"))
            .collect();
        all.extend(["ambient-service", "ambient-pod-ip", "sidecar"].map(|c| path("Pod/x/same", c)));
        all.push(path("Pod/z/last", "sidecar"));
        let (mut one_by_one, mut runs) = (String::new(), String::new());
        // Handed out one by one: the destination's paths fall in two pieces.
        draw(&crate::render::sections::Held(&all), &page, &mut one_by_one);
        draw(&Runs(&all), &page, &mut runs);
        assert_eq!(
            one_by_one.matches("\nPod/x/same\n").count(),
            1,
            "{one_by_one}"
        );
        assert_eq!(one_by_one, runs);
    }

    #[test]
    fn a_hop_verdict_reads_as_the_hops_own() {
        use crate::explain::report::Verdict;
        let p = Paint::plain();
        let hop = |verdict| Hop {
            component: "ztunnel",
            name: None,
            source_identity: "client",
            spiffe: None,
            policies: ["AuthorizationPolicy/ns/p".to_string()].into(),
            verdict,
        };
        let text = |v| hop_text(&p, &hop(v), false);
        assert_eq!(
            text(Some(Verdict::Allow)),
            "ztunnel [client] (1 policy) => allow"
        );
        assert_eq!(
            text(Some(Verdict::Deny(["p".to_string()].into()))),
            "ztunnel [client] (1 policy) => deny"
        );
        assert_eq!(
            text(Some(Verdict::Depends)),
            "ztunnel [client] (1 policy) => depends on the client"
        );
        assert_eq!(text(None), "ztunnel [client] (1 policy)");
    }
}
