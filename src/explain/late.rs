//! The sections of the report built last, when a renderer asks for them: the paths and the
//! workloads, most of a big mesh's report. JSON writes them as they are built, on every core
//! (`render::report_json`), and the table draws them so (`render::table::PathSource`,
//! `WorkloadSource`); every other output collects them (`held`).

use super::inventory;
use super::paths::Paths;
use super::report::{Explanation, Section, WorkloadReport};
use super::Ctx;

pub struct Late<'a> {
    pub paths: Paths<'a>,
    pub workloads: Workloads<'a>,
}

impl<'a> Late<'a> {
    /// The report with these sections built whole.
    pub fn held(&self, report: Explanation<(), ()>) -> Explanation {
        report.with(self.paths.collect(), self.workloads.collect())
    }
}

/// The in-scope workloads, reported one by one.
pub struct Workloads<'a> {
    pub(super) ctx: &'a Ctx<'a>,
}

impl<'a> Workloads<'a> {
    /// The namespace of each workload, without building its report.
    pub fn namespaces(&self) -> impl Iterator<Item = &'a str> + 'a {
        let ctx = self.ctx;
        (ctx.pods.iter()).map(move |&d| ctx.snap.pods[d].metadata.namespace.as_str())
    }

    pub fn collect(&self) -> Vec<WorkloadReport> {
        (self.ctx.pods.iter())
            .map(|&d| inventory::workload(self.ctx, d))
            .collect()
    }
}

impl Section for Workloads<'_> {
    type Part = usize;
    type State = ();
    type Item = WorkloadReport;

    fn parts(&self) -> Vec<usize> {
        self.ctx.pods.clone()
    }

    fn state(&self) {}

    fn build(&self, _: &mut (), &d: &usize, emit: &mut dyn FnMut(WorkloadReport)) {
        emit(inventory::workload(self.ctx, d))
    }
}
