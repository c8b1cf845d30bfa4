//! The sections of the report built last, when a renderer asks for them: the paths and the
//! workloads, most of a big mesh's report. JSON writes them one by one as they are built;
//! every other output collects them (`held`).

use super::inventory;
use super::paths::Paths;
use super::report::{Explanation, WorkloadReport};
use super::Ctx;
use serde::ser::{Serialize, SerializeSeq, Serializer};

pub struct Late<'a> {
    pub paths: Paths<'a>,
    pub workloads: Workloads<'a>,
}

impl<'a> Late<'a> {
    /// The report with these sections written as they are built.
    pub fn streamed<'b>(
        &'b self,
        report: Explanation<(), ()>,
    ) -> Explanation<&'b Paths<'a>, &'b Workloads<'a>> {
        report.with(&self.paths, &self.workloads)
    }

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

impl Serialize for Workloads<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.ctx.pods.len()))?;
        for &d in &self.ctx.pods {
            seq.serialize_element(&inventory::workload(self.ctx, d))?;
        }
        seq.end()
    }
}
