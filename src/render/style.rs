//! Colour, for every text output: whether to colour at all (`--color auto|always|never`,
//! `NO_COLOR`, `TERM=dumb`), and the one palette: bold headings, dim context, red for what
//! fails, yellow for what needs a look, green for what works, blue for information. Colour
//! only marks; the words say the same without it.

use crate::check::report::Verdict;
use crate::findings::Severity;
use owo_colors::OwoColorize;

/// `--color`: when to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// When stdout is a terminal, `NO_COLOR` is unset (or empty) and `TERM` is not `dumb`.
    Auto,
    Always,
    Never,
}

/// Whether the output gets colour.
pub fn enabled(when: When) -> bool {
    use std::io::IsTerminal;
    match when {
        When::Always => true,
        When::Never => false,
        When::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}

/// Paints text, or leaves it as it is when colour is off.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    on: bool,
}

impl Paint {
    pub fn new(on: bool) -> Self {
        Paint { on }
    }

    /// No colour, whatever was asked (text aligned by hand is measured uncoloured).
    pub fn plain() -> Self {
        Paint { on: false }
    }

    pub fn is_on(&self) -> bool {
        self.on
    }

    fn paint(&self, s: &str, f: impl FnOnce(&str) -> String) -> String {
        if self.on {
            f(s)
        } else {
            s.to_string()
        }
    }

    /// Section titles.
    pub fn heading(&self, s: &str) -> String {
        self.paint(s, |s| s.bold().to_string())
    }
    /// Context: sources, targets, notes.
    pub fn dim(&self, s: &str) -> String {
        self.paint(s, |s| s.dimmed().to_string())
    }
    /// What fails or is missing.
    pub fn bad(&self, s: &str) -> String {
        self.paint(s, |s| s.red().to_string())
    }
    /// What needs a look.
    pub fn warn(&self, s: &str) -> String {
        self.paint(s, |s| s.yellow().to_string())
    }
    /// What works.
    pub fn good(&self, s: &str) -> String {
        self.paint(s, |s| s.green().to_string())
    }
    /// Information.
    pub fn info(&self, s: &str) -> String {
        self.paint(s, |s| s.blue().to_string())
    }
    /// The one line that decided a verdict.
    pub fn alarm(&self, s: &str) -> String {
        self.paint(s, |s| s.red().bold().to_string())
    }

    /// `ERROR`, `WARNING`, `INFO`.
    pub fn severity(&self, s: Severity) -> String {
        let t = s.as_str().to_uppercase();
        match s {
            Severity::Error => self.bad(&t),
            Severity::Warning => self.warn(&t),
            Severity::Info => self.info(&t),
        }
    }

    /// A policy's effect where it is enforced: what does not apply as written stands out.
    pub fn effect(&self, e: &str) -> String {
        match e {
            "deny-all" | "not-enforced" => self.bad(e),
            "rules-dropped" | "l7-ignored" | "no-effect" | "fields-ignored" | "as-permissive"
            | "dry-run" => self.warn(e),
            _ => e.to_string(),
        }
    }

    /// `s` in the colour of a request's verdict.
    pub fn verdict(&self, v: Verdict, s: &str) -> String {
        self.paint(s, |s| match v {
            Verdict::Allowed => s.green().bold().to_string(),
            Verdict::Denied => s.red().bold().to_string(),
            Verdict::Unknown => s.yellow().bold().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_leaves_text_as_it_is() {
        let p = Paint::plain();
        for s in [
            p.heading("x"),
            p.dim("x"),
            p.bad("x"),
            p.warn("x"),
            p.good("x"),
            p.info("x"),
            p.alarm("x"),
            p.effect("x"),
            p.verdict(Verdict::Denied, "x"),
        ] {
            assert_eq!(s, "x");
        }
        assert_eq!(p.severity(Severity::Warning), "WARNING");
    }

    #[test]
    fn on_paints_with_ansi_codes() {
        let p = Paint::new(true);
        assert_eq!(p.bad("x"), "\x1b[31mx\x1b[39m");
        assert_eq!(p.severity(Severity::Info), "\x1b[34mINFO\x1b[39m");
        assert_eq!(p.effect("as-written"), "as-written");
        assert_eq!(p.effect("deny-all"), p.bad("deny-all"));
        assert_eq!(
            p.verdict(Verdict::Allowed, "x"),
            "x".green().bold().to_string()
        );
    }
}
