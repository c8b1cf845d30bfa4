//! Completion of a partly typed command line, driven entirely by the clap `Command` tree:
//! subcommands, flags and possible values appear here as soon as they are declared. Values
//! that only the cluster or the kubeconfig knows are attached by argument id (`live`).
//!
//! Used by kubectl's plugin completion (`cobra`); the standalone shell scripts come from
//! `clap_complete` (`shell`).

pub mod cobra;
pub mod live;
pub mod shell;

use clap::builder::ValueHint;
use clap::{Arg, ArgAction, Command};
use std::collections::BTreeMap;

/// cobra's `ShellCompDirective` bits (spf13/cobra completions.go: `1 << iota` from Error).
pub mod directive {
    pub const DEFAULT: u32 = 0;
    pub const ERROR: u32 = 1;
    pub const NO_SPACE: u32 = 2;
    pub const NO_FILE_COMP: u32 = 4;
    pub const FILTER_FILE_EXT: u32 = 8;
    pub const FILTER_DIRS: u32 = 16;
    pub const KEEP_ORDER: u32 = 32;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub value: String,
    pub help: String,
}

impl Candidate {
    fn new(value: impl Into<String>, help: impl Into<String>) -> Self {
        Candidate {
            value: value.into(),
            help: help.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completions {
    pub candidates: Vec<Candidate>,
    pub directive: u32,
}

impl Completions {
    fn of(candidates: Vec<Candidate>, directive: u32) -> Self {
        Completions {
            candidates,
            directive,
        }
    }

    /// Keeps the candidates that extend what was typed.
    fn starting_with(mut self, prefix: &str) -> Self {
        self.candidates.retain(|c| c.value.starts_with(prefix));
        self
    }

    fn prefixed(mut self, prefix: &str) -> Self {
        for c in &mut self.candidates {
            c.value.insert_str(0, prefix);
        }
        self
    }
}

/// What the words before the cursor say: the subcommand reached, the flag values given (by
/// argument id) and how many positionals were filled.
struct Parsed<'c> {
    cmd: &'c Command,
    values: BTreeMap<String, Vec<String>>,
    positionals: usize,
    /// The flag whose value is being typed (`-n <TAB>`).
    pending: Option<&'c Arg>,
    /// After `--`: everything is positional.
    rest: bool,
}

fn takes_value(a: &Arg) -> bool {
    a.get_action().takes_values()
}

fn long_arg<'c>(cmd: &'c Command, name: &str) -> Option<&'c Arg> {
    cmd.get_arguments().find(|a| {
        a.get_long() == Some(name) || a.get_all_aliases().is_some_and(|al| al.contains(&name))
    })
}

fn short_arg(cmd: &Command, c: char) -> Option<&Arg> {
    cmd.get_arguments().find(|a| {
        a.get_short() == Some(c) || a.get_all_short_aliases().is_some_and(|al| al.contains(&c))
    })
}

fn parse<'c>(root: &'c Command, words: &[String]) -> Parsed<'c> {
    let mut p = Parsed {
        cmd: root,
        values: BTreeMap::new(),
        positionals: 0,
        pending: None,
        rest: false,
    };
    for w in words {
        if let Some(a) = p.pending.take() {
            p.record(a, w);
            continue;
        }
        if p.rest {
            p.positional(w);
        } else if w == "--" {
            p.rest = true;
        } else if let Some(long) = w.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            if let Some(a) = long_arg(p.cmd, name) {
                match inline {
                    Some(v) => p.record(a, v),
                    None if takes_value(a) => p.pending = Some(a),
                    None => p.record(a, ""),
                }
            }
        } else if let Some(shorts) = w.strip_prefix('-').filter(|s| !s.is_empty()) {
            for (i, c) in shorts.char_indices() {
                let Some(a) = short_arg(p.cmd, c) else { break };
                if takes_value(a) {
                    let v = shorts[i + c.len_utf8()..].trim_start_matches('=');
                    if v.is_empty() {
                        p.pending = Some(a);
                    } else {
                        p.record(a, v);
                    }
                    break;
                }
                p.record(a, "");
            }
        } else {
            p.positional(w);
        }
    }
    p
}

impl<'c> Parsed<'c> {
    fn record(&mut self, a: &Arg, v: &str) {
        self.values
            .entry(a.get_id().to_string())
            .or_default()
            .push(v.to_string());
    }

    fn positional(&mut self, w: &str) {
        if self.positionals == 0 {
            if let Some(sub) = self.cmd.find_subcommand(w) {
                self.cmd = sub;
                return;
            }
        }
        if let Some(a) = self.cmd.get_positionals().nth(self.positionals) {
            let a = a.clone();
            self.record(&a, w);
        }
        self.positionals += 1;
    }

    fn value(&self, id: &str) -> Option<&str> {
        self.values.get(id)?.last().map(String::as_str)
    }

    /// Where live values come from: the connection flags typed so far.
    fn live(&self) -> live::Live {
        live::Live::new(live::Target {
            kubeconfig: self.value("kubeconfig").map(Into::into),
            context: self.value("context").map(Into::into),
            cluster: self.value("cluster").map(Into::into),
            user: self.value("user").map(Into::into),
            namespace: self.value("namespace").map(Into::into),
        })
    }
}

/// Completes `current`, the word under the cursor, after `words`. `root` must be built
/// (`Command::build`) so that help flags and global arguments are in place.
pub fn complete(root: &Command, words: &[String], current: &str) -> Completions {
    let p = parse(root, words);
    if let Some(a) = p.pending {
        return values(&p, a, current).starting_with(current);
    }
    if !p.rest {
        if let Some((name, v)) = current.strip_prefix("--").and_then(|l| l.split_once('=')) {
            return match long_arg(p.cmd, name) {
                Some(a) if takes_value(a) => values(&p, a, v)
                    .starting_with(v)
                    .prefixed(&format!("--{name}=")),
                _ => Completions::of(vec![], directive::NO_FILE_COMP),
            };
        }
        if current.starts_with('-') {
            return Completions::of(flags(&p), directive::NO_FILE_COMP).starting_with(current);
        }
    }
    let mut out = Completions::of(vec![], directive::NO_FILE_COMP);
    if p.positionals == 0 && !p.rest {
        out.candidates.extend(
            p.cmd
                .get_subcommands()
                .filter(|s| !s.is_hide_set())
                .map(|s| Candidate::new(s.get_name(), help_text(s.get_about()))),
        );
    }
    if let Some(a) = p.cmd.get_positionals().nth(p.positionals) {
        let v = values(&p, a, current);
        out.candidates.extend(v.candidates);
        out.directive = v.directive;
    }
    out.starting_with(current)
}

fn help_text(s: Option<&clap::builder::StyledStr>) -> String {
    s.map(|h| h.to_string()).unwrap_or_default()
}

/// The flags of the command reached, except those already given that cannot repeat.
fn flags(p: &Parsed) -> Vec<Candidate> {
    let mut out = Vec::new();
    for a in p.cmd.get_arguments() {
        if a.is_positional() || a.is_hide_set() {
            continue;
        }
        let repeats = matches!(a.get_action(), ArgAction::Append | ArgAction::Count);
        if !repeats && p.values.contains_key(a.get_id().as_str()) {
            continue;
        }
        let help = help_text(a.get_help());
        if let Some(l) = a.get_long() {
            out.push(Candidate::new(format!("--{l}"), help.clone()));
        }
        if let Some(s) = a.get_short() {
            out.push(Candidate::new(format!("-{s}"), help));
        }
    }
    out
}

/// Values for one argument: its possible values, else what its id names (live or fixed
/// lists), else files where the argument takes paths.
fn values(p: &Parsed, a: &Arg, current: &str) -> Completions {
    let possible: Vec<Candidate> = a
        .get_possible_values()
        .into_iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| Candidate::new(v.get_name(), help_text(v.get_help())))
        .collect();
    if !possible.is_empty() {
        return Completions::of(possible, directive::NO_FILE_COMP);
    }
    let id = a.get_id().as_str();
    let is_namespace = id == "namespace"
        || a.get_value_names()
            .is_some_and(|n| n.iter().any(|n| n.as_str() == "NAMESPACE"));
    match id {
        "context" => Completions::of(p.live().contexts(), directive::NO_FILE_COMP),
        "cluster" => Completions::of(p.live().clusters(), directive::NO_FILE_COMP),
        "user" => Completions::of(p.live().users(), directive::NO_FILE_COMP),
        "from" | "to" => workload_refs(p, current, id == "from"),
        "features" | "feature" => Completions::of(feature_values(), directive::NO_FILE_COMP),
        "suppress" | "only" => {
            let codes = Completions::of(
                crate::findings::CATALOGUE
                    .iter()
                    .map(|c| Candidate::new(c.code, c.title))
                    .collect(),
                directive::NO_FILE_COMP,
            );
            // `--only` takes a comma-separated list: complete its last code.
            match current.rsplit_once(',').filter(|_| id == "only") {
                Some((done, _)) => codes.prefixed(&format!("{done},")),
                None => codes,
            }
        }
        _ if is_namespace => Completions::of(p.live().namespaces(), directive::NO_FILE_COMP),
        _ => match a.get_value_hint() {
            ValueHint::DirPath => Completions::of(vec![], directive::FILTER_DIRS),
            ValueHint::AnyPath | ValueHint::FilePath | ValueHint::ExecutablePath => {
                Completions::of(vec![], directive::DEFAULT)
            }
            _ => Completions::of(vec![], directive::NO_FILE_COMP),
        },
    }
}

/// `--feature` takes `NAME=BOOL`: both values of every known flag, the default first.
fn feature_values() -> Vec<Candidate> {
    crate::snapshot::FEATURE_FLAGS
        .iter()
        .flat_map(|(name, default)| {
            [*default, !*default].map(|v| {
                let help = if v == *default {
                    "istiod default"
                } else {
                    "override istiod's default"
                };
                Candidate::new(format!("{name}={v}"), help)
            })
        })
        .collect()
}

/// The forms first (a kind stays open for its NS/NAME: no space after it); once a kind is
/// typed, `KIND/NS/NAME` read live from the namespace typed after the kind, else `-n`, else
/// the context's namespace.
fn workload_refs(p: &Parsed, current: &str, source: bool) -> Completions {
    // The one grammar `check` parses (`check::grammar`).
    let forms = crate::check::grammar::offered(source);
    let Some((kind, rest)) = current.split_once('/') else {
        let forms: Vec<Candidate> = forms
            .iter()
            .filter(|(f, _)| f.starts_with(current))
            .map(|(f, h)| Candidate::new(f.as_str(), *h))
            .collect();
        let open = forms.iter().any(|c| c.value.ends_with('/'));
        let directive = if open {
            directive::NO_SPACE | directive::NO_FILE_COMP
        } else {
            directive::NO_FILE_COMP
        };
        return Completions::of(forms, directive);
    };
    if !forms.iter().any(|(f, _)| f.strip_suffix('/') == Some(kind)) {
        return Completions::of(vec![], directive::NO_FILE_COMP);
    }
    let live = p.live();
    let ns = match rest.split_once('/') {
        Some((ns, _)) => ns.to_string(),
        None => live.default_namespace(),
    };
    let names = live.workload_names(kind, &ns);
    Completions::of(
        names
            .into_iter()
            .map(|n| Candidate::new(format!("{kind}/{ns}/{n}"), ""))
            .collect(),
        directive::NO_FILE_COMP,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli() -> Command {
        use clap::CommandFactory;
        let mut c = crate::cli::Cli::command();
        c.build();
        c
    }

    fn values_of(words: &[&str], current: &str) -> (Vec<String>, u32) {
        let words: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        let c = complete(&cli(), &words, current);
        (
            c.candidates.into_iter().map(|c| c.value).collect(),
            c.directive,
        )
    }

    #[test]
    fn subcommands_flags_and_values_from_the_clap_tree() {
        let (v, d) = values_of(&[], "");
        assert!(
            v.contains(&"explain".into()) && v.contains(&"version".into()),
            "{v:?}"
        );
        assert!(
            !v.contains(&"man".into()),
            "hidden subcommand offered: {v:?}"
        );
        assert_eq!(d, directive::NO_FILE_COMP);
        assert_eq!(values_of(&[], "ex").0, ["explain"]);

        let (v, _) = values_of(&["explain"], "--fail");
        assert_eq!(v, ["--fail-on"]);
        let (v, _) = values_of(&["explain", "-o"], "");
        assert_eq!(
            v,
            ["table", "wide", "json", "yaml", "sarif", "github", "mermaid", "dot"]
        );
        assert_eq!(values_of(&["explain", "--output"], "j").0, ["json"]);
        assert_eq!(values_of(&["explain"], "--output=y").0, ["--output=yaml"]);
        assert_eq!(
            values_of(&["explain", "--color"], "").0,
            ["auto", "always", "never"]
        );
        assert_eq!(values_of(&["explain", "--fail-on"], "w").0, ["warning"]);
        // A flag already given is not offered again, a repeatable one is.
        let (v, _) = values_of(&["explain", "-o", "json"], "-");
        assert!(
            !v.contains(&"--output".into()) && !v.contains(&"-o".into()),
            "{v:?}"
        );
        assert!(
            v.contains(&"--namespace".into()) && v.contains(&"-n".into()),
            "{v:?}"
        );
        let (v, _) = values_of(&["explain", "--suppress", "AMB001"], "--sup");
        assert_eq!(v, ["--suppress"]);
        // Short flag clusters and inline values are understood.
        assert_eq!(values_of(&["explain", "-Ao"], "").0.len(), 8);
        assert_eq!(
            values_of(&["explain", "-ojson", "--color"], "n").0,
            ["never"]
        );
    }

    #[test]
    fn feature_suppress_paths_and_completion_shells() {
        let (v, _) = values_of(&["explain", "--feature"], "PILOT_AUTO");
        assert_eq!(
            v,
            [
                "PILOT_AUTO_ALLOW_WAYPOINT_POLICY=false",
                "PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true"
            ]
        );
        let (v, _) = values_of(&["explain", "--feature"], "");
        assert_eq!(v.len(), 2 * crate::snapshot::FEATURE_FLAGS.len());
        let (v, _) = values_of(&["explain", "--suppress"], "AMB00");
        assert!(v.contains(&"AMB001".into()) && v.len() == 9, "{v:?}");
        // --only: codes, the last of a comma-separated list too.
        let (v, _) = values_of(&["diff", "--only"], "AMB00");
        assert!(v.contains(&"AMB001".into()) && v.len() == 9, "{v:?}");
        let (v, _) = values_of(&["explain", "--only"], "AMB001,AMB03");
        assert_eq!(
            v,
            [
                "AMB001,AMB030",
                "AMB001,AMB031",
                "AMB001,AMB032",
                "AMB001,AMB033",
                "AMB001,AMB034"
            ]
        );
        let (v, _) = values_of(&["explain", "--findings"], "");
        assert_eq!(v, ["summary", "all", "none"]);
        // Paths fall back to the shell's file completion.
        assert_eq!(
            values_of(&["explain", "-f"], ""),
            (vec![], directive::DEFAULT)
        );
        assert_eq!(
            values_of(&["explain", "--kubeconfig"], ""),
            (vec![], directive::DEFAULT)
        );
        let (v, _) = values_of(&["completion"], "");
        assert_eq!(v, ["bash", "zsh", "fish", "powershell", "install"]);
        assert_eq!(
            values_of(&["completion", "install"], ""),
            (vec![], directive::FILTER_DIRS)
        );
        assert_eq!(values_of(&["version", "-o"], "").0, ["json", "yaml"]);
    }

    /// Every -o value completion offers parses, and no other format does: completion, help
    /// and clap's check are one list per subcommand.
    #[test]
    fn each_subcommand_completes_exactly_the_formats_it_accepts() {
        use clap::Parser;
        let all = [
            "table", "wide", "json", "yaml", "sarif", "github", "mermaid", "dot",
        ];
        for (sub, want) in [
            ("explain", &all[..]),
            ("diff", &all[..6]),
            ("check", &["table", "json", "yaml", "mermaid", "dot"][..]),
        ] {
            assert_eq!(values_of(&[sub, "-o"], "").0, want, "{sub}");
            for f in all {
                let parsed = crate::cli::Cli::try_parse_from(["k", sub, "-o", f]);
                assert_eq!(parsed.is_ok(), want.contains(&f), "{sub} -o {f}");
            }
        }
    }

    #[test]
    fn after_double_dash_nothing_is_a_flag() {
        let (v, _) = values_of(&["explain", "--"], "-");
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn workload_kinds_come_first_without_a_space() {
        let cmd = Command::new("t").subcommand(
            Command::new("check")
                .arg(Arg::new("from").long("from"))
                .arg(Arg::new("to").long("to")),
        );
        let c = complete(&cmd, &["check".into(), "--to".into()], "");
        let v: Vec<_> = c.candidates.iter().map(|c| c.value.as_str()).collect();
        #[rustfmt::skip]
        assert_eq!(v, ["svc/", "pod/", "deploy/", "sts/", "ds/", "rs/", "rc/", "job/", "cj/", "rollout/"]);
        // An ingress gateway, external and a ServiceAccount are clients, never destinations;
        // a Service is never a client.
        let c = complete(&cmd, &["check".into(), "--from".into()], "");
        let v: Vec<_> = c.candidates.iter().map(|c| c.value.as_str()).collect();
        #[rustfmt::skip]
        assert_eq!(v, ["pod/", "deploy/", "sts/", "ds/", "rs/", "rc/", "job/", "cj/", "rollout/", "sa/", "ingress/", "ingress", "external"]);
        assert_eq!(c.directive, directive::NO_SPACE | directive::NO_FILE_COMP);
        let c = complete(&cmd, &["check".into()], "--from=d");
        let v: Vec<_> = c.candidates.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(v, ["--from=deploy/", "--from=ds/"]);
        // A complete source ends the word.
        let c = complete(&cmd, &["check".into(), "--from".into()], "ex");
        let v: Vec<_> = c.candidates.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(
            (v, c.directive),
            (vec!["external"], directive::NO_FILE_COMP)
        );
        // A kind the flag does not take has no names.
        for (flag, kind) in [("--from", "svc/"), ("--to", "ingress/"), ("--to", "sa/")] {
            let c = complete(&cmd, &["check".into(), flag.into()], kind);
            assert!(c.candidates.is_empty(), "{flag} {kind}: {:?}", c.candidates);
        }
    }
}
