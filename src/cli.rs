//! Command-line definition: one source for help, completions (standalone scripts and
//! kubectl's plugin completion) and the man page.

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};

#[derive(Debug, Parser)]
#[command(
    name = "kubectl ambient-policy",
    bin_name = "kubectl ambient-policy",
    version,
    about = "Explain where Istio ambient mode enforces each policy, under which identity, with what effect",
    long_about = None,
    propagate_version = true,
    after_help = after_help()
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Explain which component enforces each policy, the identity it sees, and the effect
    Explain(Box<ExplainArgs>),
    /// Show what a change would do: enforcement, paths and findings before and after
    #[command(mut_arg("filenames", |a| a.help("The proposed manifests: files or directories (repeatable; - for stdin)")))]
    #[command(mut_arg("kustomize", |a| a.help("The proposed manifests as `kubectl kustomize DIR` renders them (repeatable; combines with -f)")))]
    #[command(mut_arg("fail_on", |a| a.help("Exit 1 only when the change introduces a finding at or above this severity")))]
    #[command(mut_arg("namespace", |a| a.help("Namespace to compare (default: with --base, every namespace of the manifests; against the cluster, the context's namespace, else \"default\")")))]
    Diff(Box<DiffArgs>),
    /// Will this request get through? The path hop by hop, the policy that decides, the verdict
    #[command(mut_arg("namespace", |a| a.help("Namespace of NAME-only forms and of the matrix (default: the context's, else \"default\"; with -f/-k, the matrix covers every namespace of the input)")))]
    #[command(mut_arg("all_namespaces", |a| a.help("Matrix over every namespace")))]
    Check(Box<CheckArgs>),
    /// Does each ztunnel hold what the model predicts? Its config dump against the model
    #[command(mut_arg("namespace", |a| a.help("Namespace to verify (default: the context's, else \"default\"; with -f, every namespace of the input)")))]
    #[command(mut_arg("all_namespaces", |a| a.help("Verify every namespace")))]
    Verify(Box<VerifyArgs>),
    /// Print the version, git commit and build target
    Version(VersionArgs),
    /// Print a shell completion script, or link kubectl's plugin completion (install)
    #[command(after_help = COMPLETION_HELP)]
    Completion(CompletionArgs),
    /// Print the man page (roff), or write one page per command into DIR
    #[command(hide = true)]
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write kubectl-ambient_policy.1 and a page per subcommand here instead
    #[arg(value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub dir: Option<std::path::PathBuf>,
}

/// Exit codes and where the finding codes are explained, for `--help`.
fn after_help() -> String {
    format!(
        "Exit codes:\n  \
        0  ran fine, and no finding at or above --fail-on\n  \
        1  a finding at or above --fail-on remains\n  \
        2  usage or input error (bad flag, unreadable or malformed manifest)\n  \
        3  cluster or API error (unreachable, timed out, unauthorised, forbidden)\n\n{}",
        findings_link()
    )
}

/// Where the finding codes are explained (the help of every subcommand that reports them).
fn findings_link() -> String {
    format!(
        "Finding codes (AMB001...) with their resolution: {}/blob/main/docs/findings.md",
        env!("CARGO_PKG_HOMEPAGE")
    )
}

fn diff_after_help() -> String {
    format!(
        "Examples:\n  \
    # What would applying these manifests change in the cluster?\n  \
    kubectl ambient-policy diff -f proposed/\n\n  \
    # ... and deleting a policy\n  \
    kubectl ambient-policy diff -f proposed/ --delete AuthorizationPolicy/bookinfo/old\n\n  \
    # A pull request, offline: main's manifests against the branch's\n  \
    kubectl ambient-policy diff --base main/manifests/ -f manifests/ --fail-on error\n\n\
Exit codes: 0 no difference, 1 differences (with --fail-on: a finding at or above SEVERITY\n\
introduced), 2 usage or input error, 3 cluster error.\n\n{}",
        findings_link()
    )
}

/// The `kubectl get` example: every kind the plugin reads, with its group (plain `gateways`
/// would be ambiguous beside Istio's networking.istio.io Gateway).
fn explain_after_help() -> String {
    use crate::source::kinds::{CONFIGMAP, DAEMONSET, DEPLOYMENT, KINDS};
    let resource = |s: &crate::source::kinds::KindSpec| {
        if s.group.is_empty() {
            s.plural.to_string()
        } else {
            format!("{}.{}", s.plural, s.group)
        }
    };
    let kinds = KINDS.iter().map(resource).collect::<Vec<_>>().join(",");
    format!(
        "Examples:\n  \
        # Explain the policies of a namespace from manifests (offline, e.g. in CI)\n  \
        kubectl ambient-policy explain -n bookinfo -f manifests/\n\n  \
        # Fail a pipeline on any warning, except one accepted finding\n  \
        kubectl ambient-policy explain -f manifests/ --fail-on warning --suppress 'AMB011=*'\n\n  \
        # Hundreds of findings: the summary by code, then every finding of one code\n  \
        kubectl ambient-policy explain -n team-1\n  \
        kubectl ambient-policy explain -n team-1 --only AMB001 --findings all\n\n  \
        # Machine-readable output from a dump of every kind the plugin reads\n  \
        kubectl get {kinds} -A -o yaml > mesh.yaml\n  \
        kubectl get -n istio-system {}/istio {}/istiod {}/ztunnel -o yaml >> mesh.yaml\n  \
        kubectl ambient-policy explain -A -f mesh.yaml -o json\n\n{}",
        resource(&CONFIGMAP),
        resource(&DEPLOYMENT),
        resource(&DAEMONSET),
        after_help()
    )
}

const COMPLETION_HELP: &str = "kubectl (1.26+) completes plugin arguments through an executable \
`kubectl_complete-ambient_policy` on PATH: `completion install` links it next to this binary \
(or in DIR). The shell scripts complete `kubectl-ambient_policy` run directly.

Examples:
  kubectl ambient-policy completion install
  source <(kubectl ambient-policy completion bash)
  kubectl ambient-policy completion zsh > \"${fpath[1]}/_kubectl-ambient_policy\"
  kubectl ambient-policy completion fish > ~/.config/fish/completions/kubectl-ambient_policy.fish";

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Output format (default: text)
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<VersionOutput>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VersionOutput {
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to print a script for, or `install`
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: CompletionShell,
    /// With `install`: where to create the link (default: beside the binary on PATH)
    #[arg(value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    /// Bash script
    Bash,
    /// Zsh script
    Zsh,
    /// Fish script
    Fish,
    /// PowerShell script
    Powershell,
    /// Link kubectl_complete-ambient_policy so that `kubectl ambient-policy <TAB>` completes
    Install,
}

// Each subcommand's -o lists exactly the formats it renders, so that help, completion and
// clap's one-line "invalid value" error all say the same.

/// `explain -o`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainOutput {
    Table,
    Wide,
    Json,
    Yaml,
    /// SARIF 2.1.0, for code scanning (e.g. github/codeql-action/upload-sarif)
    Sarif,
    /// GitHub Actions annotations (::error file=...,line=...::)
    Github,
    /// A Mermaid flowchart of the paths (renders in GitHub Markdown)
    Mermaid,
    /// A Graphviz DOT graph of the paths (`dot -Tsvg`)
    Dot,
}

/// `diff -o`: no diagrams (they draw one state, not a change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffOutput {
    Table,
    Wide,
    Json,
    Yaml,
    /// SARIF 2.1.0 of the findings the change introduces, for code scanning
    Sarif,
    /// GitHub Actions annotations of the findings the change introduces
    Github,
}

/// `verify -o`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyOutput {
    Table,
    Json,
    Yaml,
}

/// `check -o`: a verdict, not findings, so no SARIF or annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckOutput {
    Table,
    Json,
    Yaml,
    /// A Mermaid flowchart of the request's hops
    Mermaid,
    /// A Graphviz DOT graph of the request's hops (`dot -Tsvg`)
    Dot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
}

/// The input flags `explain`, `diff` and `check` share: where the objects come from (the
/// cluster, or manifests), which namespace, and the mesh settings that beat the input's.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Namespace to explain (default: with -f/-k, every namespace of the input, as `kubectl
    /// get -f`; else the kubeconfig context's namespace, else "default")
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Explain every namespace
    #[arg(short = 'A', long, conflicts_with = "namespace")]
    pub all_namespaces: bool,

    /// Read manifests from files or directories instead of the cluster (repeatable; - for stdin)
    #[arg(short = 'f', long = "filename", value_name = "FILE|DIR", value_hint = ValueHint::AnyPath)]
    pub filenames: Vec<String>,

    /// Read the objects `kubectl kustomize DIR` renders (repeatable; combines with -f)
    #[arg(short = 'k', long = "kustomize", value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub kustomize: Vec<String>,

    /// Labels of a namespace missing from the -f input, e.g.
    /// bookinfo=istio.io/dataplane-mode=ambient (repeatable; "NS=" for none; overrides the input)
    #[arg(long = "namespace-labels", value_name = "NS=KEY=VALUE,...")]
    pub namespace_labels: Vec<String>,

    /// Path to the kubeconfig file (default: KUBECONFIG, else ~/.kube/config, else in-cluster)
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub kubeconfig: Option<std::path::PathBuf>,

    /// The kubeconfig context to use (default: the current context)
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// The kubeconfig cluster to use
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,

    /// The kubeconfig user to use
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// Timeout to connect and for each API request, e.g. 5s, 500ms, 1m; the whole read is
    /// bounded by six times it
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub request_timeout: std::time::Duration,

    /// Namespace where istiod runs (its istio ConfigMap and Deployment are read there)
    #[arg(long, value_name = "NAMESPACE", default_value = "istio-system")]
    pub istio_namespace: String,

    /// Istio root namespace (default: from the istio ConfigMap, else istio-system)
    #[arg(long, value_name = "NAMESPACE")]
    pub root_namespace: Option<String>,

    /// Mesh trust domain (default: from the istio ConfigMap, else cluster.local)
    #[arg(long, value_name = "DOMAIN")]
    pub trust_domain: Option<String>,

    /// The Istio (istiod) version whose rules apply, e.g. 1.26 or 1.26.2 (default: istiod's
    /// image tag, else the newest release known)
    #[arg(long, value_name = "X.Y[.Z]", value_parser = parse_version)]
    pub istio_version: Option<String>,

    /// ztunnel's version, when it differs from istiod's during an upgrade (default: the
    /// ztunnel DaemonSet's image tag, else istiod's version)
    #[arg(long, value_name = "X.Y[.Z]", value_parser = parse_version)]
    pub ztunnel_version: Option<String>,

    /// Leave Kubernetes NetworkPolicies out: verdicts then cover Istio's policies only
    #[arg(long)]
    pub no_network_policy: bool,

    /// Set an istiod feature flag, e.g. PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true (repeatable)
    #[arg(long = "feature", value_name = "NAME=BOOL")]
    pub features: Vec<String>,

    /// Namespaces istio-cni never enrols (comma-separated; default kube-system)
    #[arg(long, value_name = "NS,...", value_delimiter = ',')]
    pub cni_exclude_namespaces: Option<Vec<String>>,

    /// Log each API request (path, status, size, time), each list's encoding (protobuf or
    /// JSON) and the versions chosen on stderr; credentials are never logged
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

impl InputArgs {
    /// Manifests (-f, -k) rather than the cluster.
    pub fn offline(&self) -> bool {
        !self.filenames.is_empty() || !self.kustomize.is_empty()
    }
}

#[derive(Debug, Args)]
#[command(after_help = explain_after_help())]
pub struct ExplainArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = ExplainOutput::Table)]
    pub output: ExplainOutput,

    #[command(flatten)]
    pub report: ReportArgs,
}

/// The report flags `explain` and `diff` share.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Narrow the destination workloads with a label selector (e.g. app=productpage)
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,

    /// When to colour the table output (NO_COLOR and TERM=dumb also turn it off)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Exit with code 1 when a finding at or above this severity remains
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Silence findings: CODE or CODE=Kind/namespace/name, `*` wildcards (repeatable)
    #[arg(long, value_name = "CODE=RESOURCE")]
    pub suppress: Vec<String>,

    /// Keep only these findings (the inverse of --suppress): CODE or CODE=Kind/namespace/name,
    /// `*` wildcards; comma-separated or repeatable
    #[arg(long, value_name = "CODE[,CODE]", value_delimiter = ',')]
    pub only: Vec<String>,

    /// How the table lists findings (default: summary above 50 findings, else all); exit
    /// codes count every finding whatever is listed
    #[arg(long, value_enum, value_name = "HOW")]
    pub findings: Option<FindingsView>,
}

/// `--findings`: how much of the findings the table lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FindingsView {
    /// Counts per code (and per namespace across namespaces), then the first few of each code
    Summary,
    /// Every finding, the same finding on several resources once
    All,
    /// No finding, only their count
    None,
}

#[derive(Debug, Args)]
#[command(after_help = diff_after_help())]
pub struct DiffArgs {
    /// Compare with these manifests instead of the cluster (offline; repeatable)
    #[arg(long, value_name = "FILE|DIR")]
    pub base: Vec<String>,

    /// Remove an object from the cluster side: Kind/namespace/name, or Kind/name (repeatable)
    #[arg(long, value_name = "KIND/NS/NAME", conflicts_with = "base")]
    pub delete: Vec<String>,

    /// The Istio (istiod) version of the base side, to preview an upgrade (default: as the
    /// proposed side: --istio-version, else what the base input says)
    #[arg(long, value_name = "X.Y[.Z]", value_parser = parse_version)]
    pub base_istio_version: Option<String>,

    /// ztunnel's version on the base side (default: as the proposed side)
    #[arg(long, value_name = "X.Y[.Z]", value_parser = parse_version)]
    pub base_ztunnel_version: Option<String>,

    // -f: the proposed manifests; --fail-on: exit 1 only when the change introduces a finding
    // at or above it; the other flags as for explain.
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = DiffOutput::Table)]
    pub output: DiffOutput,

    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Args)]
#[command(
    after_help = "SOURCE: pod/NS/NAME | NS/NAME | deploy/NS/NAME (also sts, ds, rs, rc, job, cj, rollout) |\n        \
    sa/NS/NAME | ingress[/NS/NAME] | external\n\
DEST:   svc/NS/NAME[:PORT] | pod/NS/NAME[:PORT] | deploy/NS/NAME[:PORT] | HOST[:PORT]\n\n\
Exit codes: 0 allowed, 1 denied, 4 unknown (an attribute that decides it was not given),\n\
2 usage or input error, 3 cluster error. Without --from or --to: the reachability matrix (exit 0).\n\n\
Examples:\n  \
    # Can productpage call reviews, and who decides?\n  \
    kubectl ambient-policy check --from deploy/default/productpage-v1 --to svc/default/reviews:9080 --method GET --path /reviews/1\n\n  \
    # Who can reach ratings? (one row per source)\n  \
    kubectl ambient-policy check --to svc/default/ratings:9080 -f manifests/\n\n  \
    # The whole namespace as a truth table, and a diagram of one request\n  \
    kubectl ambient-policy check -n default --port 9080\n  \
    kubectl ambient-policy check --from ingress --to svc/default/productpage -o mermaid"
)]
pub struct CheckArgs {
    /// The client: pod/NS/NAME, NS/NAME, deploy/NS/NAME, sa/NS/NAME, ingress[/NS/NAME] or external
    #[arg(long = "from", id = "from", value_name = "SOURCE")]
    pub from: Option<String>,

    /// The destination: svc/NS/NAME[:PORT], pod/NS/NAME[:PORT], deploy/NS/NAME[:PORT] or a hostname
    #[arg(long = "to", id = "to", value_name = "DEST")]
    pub to: Option<String>,

    /// Destination port (the Service port for a Service)
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,

    /// HTTP method (unknown when not given)
    #[arg(long, value_name = "METHOD")]
    pub method: Option<String>,

    /// HTTP path (unknown when not given)
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,

    /// A request header NAME:VALUE (repeatable); headers not given are unknown
    #[arg(long = "header", value_name = "NAME:VALUE")]
    pub headers: Vec<String>,

    /// The JWT principal ISSUER/SUBJECT (unknown when not given)
    #[arg(long, value_name = "ISS/SUB")]
    pub request_principal: Option<String>,

    /// Send without mTLS, as a client outside the mesh would
    #[arg(long)]
    pub plaintext: bool,

    /// The client's IP address (for ipBlocks and source.ip conditions)
    #[arg(long, value_name = "IP")]
    pub source_ip: Option<String>,

    /// Matrix: also pods by IP as destinations
    #[arg(long)]
    pub pod_ip: bool,

    /// Decide the ztunnel hops on the policies this ztunnel config dump holds (its
    /// /config_dump, or `istioctl ztunnel-config all -o json`) rather than on the model's
    /// conversion, and say where the model would decide otherwise
    #[arg(long = "ztunnel-dump", value_name = "FILE", value_hint = ValueHint::FilePath, conflicts_with = "from_dataplane")]
    pub ztunnel_dump: Option<String>,

    /// As --ztunnel-dump, with the dump read from a ztunnel of the cluster through
    /// port-forward (see `verify`)
    #[arg(long)]
    pub from_dataplane: bool,

    /// Output format (mermaid and dot: one request, with both --from and --to)
    #[arg(short = 'o', long, value_enum, default_value_t = CheckOutput::Table)]
    pub output: CheckOutput,

    /// When to colour the table output (NO_COLOR and TERM=dumb also turn it off)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    // -n/-A: the namespace of NAME-only forms and of the matrix; the other flags as for
    // explain.
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
#[command(after_help = verify_after_help())]
pub struct VerifyArgs {
    /// A ztunnel config dump to compare instead of reading the ztunnels: its /config_dump, or
    /// `istioctl ztunnel-config all -o json` (repeatable: one per node; - for stdin)
    #[arg(long = "ztunnel-dump", value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub ztunnel_dumps: Vec<String>,

    /// Label selector of the ztunnel pods in istiod's namespace
    #[arg(long, value_name = "SELECTOR", default_value = "app=ztunnel")]
    pub ztunnel_selector: String,

    /// ztunnel's admin port, reached through port-forward
    #[arg(long, value_name = "PORT", default_value_t = 15000, value_parser = clap::value_parser!(u16).range(1..))]
    pub proxy_admin_port: u16,

    /// Silence disagreements: CODE or CODE=Kind/namespace/name, `*` wildcards (repeatable)
    #[arg(long, value_name = "CODE=RESOURCE")]
    pub suppress: Vec<String>,

    /// Keep only these disagreements: CODE or CODE=Kind/namespace/name, `*` wildcards;
    /// comma-separated or repeatable
    #[arg(long, value_name = "CODE[,CODE]", value_delimiter = ',')]
    pub only: Vec<String>,

    /// Exit 1 when a disagreement at or above this severity is found
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = FailOn::Error)]
    pub fail_on: FailOn,

    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = VerifyOutput::Table)]
    pub output: VerifyOutput,

    /// When to colour the table output (NO_COLOR and TERM=dumb also turn it off)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    #[command(flatten)]
    pub input: InputArgs,
}

fn verify_after_help() -> String {
    format!(
        "The model (the cluster's objects, or the manifests of -f) against each ztunnel's config
dump, read through port-forward to its admin port (needs `create` on `pods/portforward` in
istiod's namespace: examples/clusterrole-verify.yaml) or given with --ztunnel-dump.

Examples:\n  \
    # Does every ztunnel hold what the cluster's objects say it should?\n  \
    kubectl ambient-policy verify -n bookinfo\n\n  \
    # Offline: manifests against a dump taken with istioctl\n  \
    istioctl ztunnel-config all -o json > node1.json\n  \
    kubectl ambient-policy verify -f manifests/ --ztunnel-dump node1.json\n\n\
Exit codes: 0 all agree, 1 a disagreement at or above --fail-on, 2 usage or input error,\n\
3 cluster error or no ztunnel could be read.\n\n{}",
        findings_link()
    )
}

/// An Istio release: `1.26`, `1.26.2`, `1.26.2-distroless`.
pub fn parse_version(s: &str) -> Result<String, String> {
    crate::versions::Version::parse(s)
        .map(|_| s.to_string())
        .ok_or_else(|| format!("invalid version {s:?} (want X.Y or X.Y.Z, e.g. 1.26.2)"))
}

/// kubectl-style durations: `500ms`, `5s`, `2m`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("invalid duration {s:?} (e.g. 5s, 500ms, 1m)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(format!(
                "invalid duration unit in {s:?} (use ms, s, m or h)"
            ))
        }
    };
    if secs <= 0.0 || !secs.is_finite() {
        return Err(format!("duration {s:?} must be positive"));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}
