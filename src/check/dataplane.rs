//! `check --ztunnel-dump` (and live `--from-dataplane`): destination ztunnels decide on the
//! policies ztunnel really holds, and the report says whether the model's conversion would
//! have decided the same, so a disagreement between model and data plane shows where it
//! matters: on this request, or on these cells of the matrix.

use super::matrix::MatrixReport;
use super::report::{CheckReport, DataplaneCheck, DifferingCell, MatrixDataplane};

/// Marks `r` (decided on the dump) against `model` (the same request on the model).
pub fn one(r: &mut CheckReport, model: &CheckReport, source: &str) {
    let agrees = r.verdict == model.verdict;
    r.notes.push(if agrees {
        format!("ztunnel hops decided on the policies ztunnel holds ({source}); the model's conversion decides the same")
    } else {
        format!(
            "ztunnel hops decided on the policies ztunnel holds ({source}); on the model's conversion the request would be {}: run `verify` to see where they differ",
            model.verdict.as_str()
        )
    });
    r.dataplane = Some(DataplaneCheck {
        source: source.into(),
        model_verdict: model.verdict,
        agrees,
    });
}

/// Marks the matrix `m` (decided on the dump) against `model`, cell by cell.
pub fn matrix(m: &mut MatrixReport, model: &MatrixReport, source: &str) {
    let differing: Vec<DifferingCell> = m
        .cells
        .iter()
        .zip(&model.cells)
        .filter(|(a, b)| a.result.verdict != b.result.verdict)
        .map(|(a, b)| DifferingCell {
            source: a.source.to_string(),
            destination: a.destination.to_string(),
            verdict: a.result.verdict,
            model_verdict: b.result.verdict,
        })
        .collect();
    let listed: Vec<String> = differing
        .iter()
        .take(5)
        .map(|c| {
            format!(
                "{} -> {} (model: {})",
                c.source,
                c.destination,
                c.model_verdict.as_str()
            )
        })
        .collect();
    m.assumptions.push(match differing.len() {
        0 => format!("ztunnel hops decided on the policies ztunnel holds ({source}); the model's conversion decides every cell the same"),
        n => format!(
            "ztunnel hops decided on the policies ztunnel holds ({source}); {n} cell(s) differ on the model's conversion: {}{}",
            listed.join(", "),
            if n > listed.len() { ", ..." } else { "" }
        ),
    });
    m.dataplane = Some(MatrixDataplane {
        source: source.into(),
        differing,
    });
}
