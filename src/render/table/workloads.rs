//! WORKLOADS: each pod (or declared workload) with its dataplane, service account and mTLS
//! mode, and with `-o wide` why it has that dataplane.

use super::Page;
use crate::explain::report::{Section, WorkloadReport};
use crate::parallel::{self, Split};
use crate::render::layout::Cells;
use crate::render::sections::{Held, PER_PIECE};
use crate::render::style::Paint;
use std::borrow::Borrow;
use std::fmt::Write;
use std::sync::Mutex;

/// The workloads a report draws: held (`Vec<WorkloadReport>`) or built as they are drawn
/// (`explain::Workloads`). A big mesh has tens of thousands: built as they are drawn, they
/// are never held, only the cells drawn of them (issue 16).
pub trait Source: Sync {
    /// What the report draws of the workloads, built on every core.
    fn rows(&self, wide: bool, p: Paint) -> Rows;
}

impl Source for Vec<WorkloadReport> {
    fn rows(&self, wide: bool, p: Paint) -> Rows {
        rows(&Held(self), wide, p)
    }
}

impl<S: Section> Source for S
where
    S::Item: Borrow<WorkloadReport>,
{
    fn rows(&self, wide: bool, p: Paint) -> Rows {
        rows(self, wide, p)
    }
}

/// What the sections draw of the workloads.
#[derive(Default)]
pub struct Rows {
    pub(super) count: usize,
    /// WORKLOADS, its header first; taken when drawn.
    table: Mutex<Cells>,
    /// The BINDINGS of the workloads bound to a waypoint, or whose binding failed.
    pub(super) bindings: Cells,
}

/// Builds the rows of `workloads` on every core (`parallel::in_order`): each thread builds
/// whole pieces; only their cells cross threads.
fn rows<S: Section>(workloads: &S, wide: bool, p: Paint) -> Rows
where
    S::Item: Borrow<WorkloadReport>,
{
    let build = |state: &mut S::State, piece: &[S::Part]| {
        let mut rows = Piece::default();
        for part in piece {
            workloads.build(state, part, &mut |w| rows.add(w.borrow(), wide, p));
        }
        rows
    };
    let mut header = vec!["WORKLOAD", "DATAPLANE", "SERVICE ACCOUNT", "MTLS"];
    if wide {
        header.push("WHY");
    }
    let mut all = Piece {
        table: Cells::with_header(&header),
        ..Piece::default()
    };
    let take = |piece: Piece| {
        all.count += piece.count;
        all.table.append(&piece.table);
        all.bindings.append(&piece.bindings);
        Ok::<(), std::convert::Infallible>(())
    };
    let split = Split::for_machine(PER_PIECE);
    let Ok(()) = parallel::in_order(&workloads.parts(), split, || workloads.state(), build, take);
    workloads.finish();
    Rows {
        count: all.count,
        table: Mutex::new(all.table),
        bindings: all.bindings,
    }
}

#[derive(Default)]
struct Piece {
    count: usize,
    table: Cells,
    bindings: Cells,
}

impl Piece {
    fn add(&mut self, w: &WorkloadReport, wide: bool, p: Paint) {
        self.count += 1;
        let dp = match w.dataplane.as_str() {
            "none" => p.warn("none"),
            d => d.to_string(),
        };
        // One form everywhere (paths, findings, check): Kind/ns/name.
        let name = format!("{}/{}/{}", w.kind, w.namespace, w.name);
        let sa = w.identity.rsplit("/sa/").next().unwrap_or("");
        let mtls = w.mtls.as_deref().unwrap_or("-");
        let why = wide.then_some(w.dataplane_reason.as_str());
        let cells = [name.as_str(), &dp, sa, mtls];
        self.table.push_row(cells.into_iter().chain(why));
        if w.waypoint.is_some() || w.waypoint_error.is_some() {
            let row = super::bindings::workload(&p, w, name);
            self.bindings.push_row(row);
        }
    }
}

pub(super) fn section(out: &mut String, page: &Page) {
    let Page { p, width, .. } = *page;
    let _ = writeln!(out, "{}", p.heading("WORKLOADS"));
    // Drawn once: the cells are not held after.
    let table = std::mem::take(&mut *parallel::lock(&page.workloads.table));
    if page.workloads.count == 0 {
        let _ = writeln!(out, "{}", p.dim("no pods in scope"));
    } else {
        table.draw(width, out);
    }
    let _ = writeln!(out);
}
