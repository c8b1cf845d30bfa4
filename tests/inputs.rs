//! Inputs as teams keep them (issue 6.3), through the real binary: directories with
//! kustomize and Helm files beside the manifests, kinds ambient ignores, `-k` kustomize
//! directories, Helm-rendered YAML on stdin, and the errors that must still name the file.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubectl-ambient_policy"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn json_of(o: &Output) -> Value {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("JSON output")
}

fn refused(o: &Output, wants: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    for w in wants {
        assert!(err.contains(w), "want {w:?} in {err}");
    }
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("inputs-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

fn assumption<'a>(v: &'a Value, setting: &str) -> Option<&'a str> {
    v["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["setting"] == setting)
        .and_then(|a| a["value"].as_str())
}

fn names(v: &Value, list: &str) -> Vec<String> {
    v[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["namespace"].as_str().unwrap_or(""),
                o["name"].as_str().unwrap()
            )
        })
        .collect()
}

const NS: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app\n  labels:\n    istio.io/dataplane-mode: ambient\n";
const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: app\n  labels: {app: web}\nspec:\n  serviceAccountName: web\n";
const POLICY: &str = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: allow-web\n  namespace: app\nspec:\n  selector:\n    matchLabels: {app: web}\n  rules:\n  - from:\n    - source:\n        principals: [cluster.local/ns/app/sa/client]\n";

/// A repository directory as teams keep it: manifests beside a kustomization, a Helm chart,
/// Helm values, a CI config, an IstioOperator without a name and a Sidecar.
#[test]
fn directories_skip_what_is_not_kubernetes_and_count_it() {
    let dir = scratch("repo");
    write(&dir, "ns.yaml", NS);
    write(&dir, "web/pod.yaml", POD);
    write(&dir, "web/policy.yaml", POLICY);
    write(&dir, "web/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [pod.yaml, policy.yaml]\n");
    write(
        &dir,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    write(
        &dir,
        "chart/values.yaml",
        "replicaCount: 1\nimage: {repository: nginx}\n",
    );
    write(
        &dir,
        "chart/templates/pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n{{- if .Values.x }}\n",
    );
    write(
        &dir,
        "values-prod.yaml",
        "replicaCount: 3\n---\n# only a comment\n",
    );
    write(&dir, ".github/workflows/ci.yml", "on: [push]\njobs: {}\n");
    write(
        &dir,
        "istio/operator.yaml",
        "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: ambient\n",
    );
    write(&dir, "istio/sidecar.yaml", "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: default, namespace: app}\nspec:\n  egress:\n  - hosts: [\"./*\"]\n");
    let v = json_of(&run(&[
        "explain",
        "-A",
        "-f",
        dir.to_str().unwrap(),
        "-o",
        "json",
    ]));
    assert_eq!(names(&v, "policies"), vec!["app/allow-web"]);
    assert_eq!(names(&v, "workloads"), vec!["app/web"]);
    assert_eq!(
        assumption(&v, "skippedInputs"),
        Some("Helm chart (render it: helm template ... | -f -) (1), documents without apiVersion/kind (1), kustomization.yaml (render it: -k DIR) (1)")
    );
    assert_eq!(
        assumption(&v, "ignoredKinds"),
        Some("IstioOperator (1), Sidecar (1)")
    );
    // The table says so too, among the assumptions.
    let o = run(&[
        "explain",
        "-A",
        "-f",
        dir.to_str().unwrap(),
        "--color",
        "never",
    ]);
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("skippedInputs"), "{table}");
    assert!(table.contains("ignoredKinds"), "{table}");
}

/// Named explicitly, a file that is not a Kubernetes object is still an error.
#[test]
fn explicit_files_still_error() {
    let dir = scratch("explicit");
    let chart = write(
        &dir,
        "Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    refused(
        &run(&["explain", "-f", &chart]),
        &["Chart.yaml (document 1)", "missing `kind`"],
    );
    let chart_dir = dir.join("chart");
    write(
        &chart_dir,
        "Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    write(
        &chart_dir,
        "templates/pod.yaml",
        "metadata:\n  name: {{ .Release.Name }}\n",
    );
    refused(
        &run(&["explain", "-f", chart_dir.to_str().unwrap()]),
        &["a Helm chart", "helm template"],
    );
    let values = write(&dir, "values.yaml", "replicaCount: 1\n");
    refused(
        &run(&["explain", "-f", &values]),
        &["values.yaml (document 1)", "missing `kind`"],
    );
    // An IstioOperator named explicitly is skipped and counted, not an error: it is a
    // Kubernetes object, just not one ambient reads.
    let op = write(
        &dir,
        "op.yaml",
        "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec: {profile: ambient}\n",
    );
    let v = json_of(&run(&["explain", "-A", "-f", &op, "-o", "json"]));
    assert_eq!(assumption(&v, "ignoredKinds"), Some("IstioOperator (1)"));
}

/// A broken document inside a directory is an error naming the file, line and document.
#[test]
fn unparsable_document_in_a_directory_names_file_and_document() {
    let dir = scratch("broken");
    write(&dir, "a-ns.yaml", NS);
    write(
        &dir,
        "b-broken.yaml",
        &format!("{POD}---\n{POLICY}---\napiVersion: v1\nkind: Service\nmetadata: {{name: x\n"),
    );
    let o = run(&["explain", "-f", dir.to_str().unwrap()]);
    refused(&o, &["b-broken.yaml:", "(document 3)", "invalid YAML"]);
    // A type error in a directory file names the object and the field path.
    write(
        &dir,
        "b-broken.yaml",
        "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: app}\nspec:\n  ports: 80\n",
    );
    let o = run(&["explain", "-f", dir.to_str().unwrap()]);
    refused(
        &o,
        &[
            "b-broken.yaml (document 1, Service s)",
            "spec.ports",
            "invalid type",
        ],
    );
}

fn kubectl_kustomize_available() -> bool {
    let ok = Command::new("kubectl")
        .args(["kustomize", "--help"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "kubectl (with kustomize) must be on PATH when CI is set"
        );
        println!("skipped: kubectl is not on PATH");
    }
    ok
}

const OVERLAY: &str = "tests/fixtures/kustomize/overlays/prod";

/// `-k` renders the overlay (namePrefix, commonLabels) and explains the result.
#[test]
fn kustomize_overlay_is_rendered_and_explained() {
    if !kubectl_kustomize_available() {
        return;
    }
    let v = json_of(&run(&[
        "explain", "-k", OVERLAY, "-n", "shop", "-o", "json",
    ]));
    assert_eq!(names(&v, "policies"), vec!["shop/prod-web-viewer"]);
    assert_eq!(names(&v, "workloads"), vec!["shop/prod-web"]);
    assert_eq!(names(&v, "waypoints"), vec!["shop/prod-waypoint"]);
    let w = &v["workloads"][0];
    assert_eq!(
        w["identity"], "spiffe://cluster.local/ns/shop/sa/prod-web",
        "{w}"
    );
    // The overlay's selector still matches (commonLabels reached the pod): the GET-only
    // ALLOW is enforced by ztunnel, which cannot see methods, so it denies everything.
    let p = &v["policies"][0];
    let effects: Vec<&str> = p["enforcement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["effect"].as_str().unwrap())
        .collect();
    assert_eq!(effects, vec!["deny-all"], "{p}");
    // The same objects through -f on kubectl's output, and -k combined with -f.
    let rendered = Command::new("kubectl")
        .args(["kustomize", OVERLAY])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
        .stdout;
    let mut child = bin()
        .args(["explain", "-f", "-", "-n", "shop", "-o", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&rendered).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(json_of(&out)["policies"], v["policies"]);
    let dir = scratch("combined");
    let extra = write(&dir, "extra.yaml", "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: extra, namespace: shop}\nspec: {}\n");
    let both = json_of(&run(&[
        "explain", "-k", OVERLAY, "-f", &extra, "-n", "shop", "-o", "json",
    ]));
    assert_eq!(
        names(&both, "policies"),
        vec!["shop/extra", "shop/prod-web-viewer"]
    );
}

/// `diff` takes the proposed manifests from `-k` too: the overlay against its own rendering
/// is no difference (0); with a new policy beside it (-f), a difference (1).
#[test]
fn diff_reads_kustomize_as_the_proposed_side() {
    if !kubectl_kustomize_available() {
        return;
    }
    let rendered = Command::new("kubectl")
        .args(["kustomize", OVERLAY])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
        .stdout;
    let dir = scratch("diff-k");
    let base = write(
        &dir,
        "base/rendered.yaml",
        &String::from_utf8(rendered).unwrap(),
    );
    let o = run(&["diff", "--base", &base, "-k", OVERLAY, "-n", "shop"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let extra = write(&dir, "extra.yaml", "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: deny-all, namespace: shop}\nspec: {}\n");
    let o = run(&[
        "diff", "--base", &base, "-k", OVERLAY, "-f", &extra, "-n", "shop", "-o", "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let added: Vec<&str> = v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["change"] == "added")
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(added, vec!["deny-all"], "{v:#}");
}

#[test]
fn kustomize_errors_are_one_line() {
    let dir = scratch("nokust");
    write(&dir, "pod.yaml", POD);
    refused(
        &run(&["explain", "-k", dir.to_str().unwrap()]),
        &["not a kustomize directory (no kustomization.yaml)"],
    );
    let file = dir.join("pod.yaml");
    refused(
        &run(&["explain", "-k", file.to_str().unwrap()]),
        &["-k needs a kustomize directory"],
    );
    refused(
        &run(&["explain", "-k", dir.join("missing").to_str().unwrap()]),
        &["missing: cannot read: no such file or directory"],
    );
    if !kubectl_kustomize_available() {
        return;
    }
    // kustomize's own error, on one line.
    write(
        &dir,
        "kustomization.yaml",
        "resources: [nothing-here.yaml]\n",
    );
    refused(
        &run(&["explain", "-k", dir.to_str().unwrap()]),
        &["kubectl kustomize failed:"],
    );
}

/// `helm template ... | kubectl ambient-policy explain -f -`: Helm's output on stdin, with
/// its `# Source:` comments, empty documents and a leading separator.
#[test]
fn helm_rendered_output_on_stdin() {
    let helm = format!(
        "---\n# Source: web/templates/namespace.yaml\n{NS}---\n# Source: web/templates/empty.yaml\n---\n# Source: web/templates/serviceaccount.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  labels:\n    helm.sh/chart: web-0.1.0\n    app.kubernetes.io/managed-by: Helm\n---\n# Source: web/templates/pod.yaml\n{POD}---\n# Source: web/templates/policy.yaml\n{POLICY}"
    );
    let mut child = bin()
        .args(["explain", "-f", "-", "-n", "app", "-o", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(helm.as_bytes())
        .unwrap();
    let v = json_of(&child.wait_with_output().unwrap());
    assert_eq!(names(&v, "policies"), vec!["app/allow-web"]);
    assert_eq!(names(&v, "workloads"), vec!["app/web"]);
    assert_eq!(v["skipped"]["ServiceAccount"], 1);
    // An error on stdin names <stdin> and the document.
    let mut child = bin()
        .args(["explain", "-f", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{helm}---\n# Source: web/templates/bad.yaml\nkind: Pod\n").as_bytes())
        .unwrap();
    refused(
        &child.wait_with_output().unwrap(),
        &["<stdin> (document 5)", "missing `apiVersion`"],
    );
}

/// A Helm chart's test hook Pod (tests/fixtures/bookinfo/helm.yaml) is not created by
/// `helm install`: skipped, and counted.
#[test]
fn helm_test_hooks_are_skipped_with_a_count() {
    let v = json_of(&run(&[
        "explain",
        "-f",
        "tests/fixtures/bookinfo/helm.yaml",
        "-o",
        "json",
    ]));
    let names: Vec<&str> = v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert!(!names.is_empty());
    assert!(
        !names.iter().any(|n| n.contains("test-connection")),
        "{names:?}"
    );
    assert_eq!(
        assumption(&v, "helmTestHooks"),
        Some("skipped (1)"),
        "{}",
        v["assumptions"]
    );
}

/// YAML reads `name: off` as a boolean and `name: 123` as a number: the error says so and how
/// to write it, rather than that the name is missing.
#[test]
fn unquoted_non_string_name_is_explained() {
    let dir = scratch("nonstring-name");
    for (name, shown) in [("off", "false"), ("123", "123")] {
        let f = write(
            &dir,
            "ns.yaml",
            &format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"),
        );
        let o = run(&["explain", "-f", &f]);
        refused(
            &o,
            &[
                "ns.yaml (document 1",
                &format!("metadata.name must be a string, not {shown}"),
                "quote it",
            ],
        );
    }
    // A missing name is still called missing.
    let f = write(
        &dir,
        "ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {}\n",
    );
    refused(&run(&["explain", "-f", &f]), &["missing metadata.name"]);
}

/// Kinds with no bearing on enforcement (ServiceAccount, RBAC, ...) are not listed as "not
/// modelled" on every default run; kinds that might matter (an Ingress) are; `-o wide` and
/// JSON list everything.
#[test]
fn not_modelled_lists_what_might_matter() {
    let dir = scratch("not-modelled");
    let f = write(
        &dir,
        "app.yaml",
        &format!(
            "{NS}---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: api, namespace: app}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: r, namespace: app}}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: web, namespace: app}}\n"
        ),
    );
    let line = |args: &[&str]| -> String {
        let o = run(args);
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .find(|l| l.starts_with("not modelled: "))
            .unwrap_or_default()
            .to_string()
    };
    let table = line(&["explain", "-f", &f]);
    assert!(table.contains("Ingress"), "{table}");
    assert!(!table.contains("ServiceAccount"), "{table}");
    assert!(!table.contains("Role"), "{table}");
    let wide = line(&["explain", "-f", &f, "-o", "wide"]);
    for k in ["Ingress", "ServiceAccount", "Role"] {
        assert!(wide.contains(k), "{wide}");
    }
    let v = json_of(&run(&["explain", "-f", &f, "-o", "json"]));
    assert_eq!(v["skipped"]["ServiceAccount"], 1, "{}", v["skipped"]);
}
