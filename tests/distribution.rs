//! The distribution path: the krew manifest against krew's rules (and the repository's
//! conventions), the release script building the host archive, and that archive installed the
//! way krew installs it and run through the real kubectl.

mod kubectl;
use kubectl::kubectl;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const BIN: &str = "kubectl-ambient_policy";
/// krew's platforms (os, arch) that the manifest must cover, each exactly once.
const PLATFORMS: &[(&str, &str)] = &[
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
    ("windows", "amd64"),
];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(*k))?.as_str()
}

/// Every rule krew's validation applies (sigs.k8s.io/krew internal/index/validation), plus
/// krew-index's review guidelines and this repository's conventions. Returns the violations.
fn violations(file_stem: &str, m: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            bad.push(what);
        }
    };
    check(
        str_at(m, &["apiVersion"]) == Some("krew.googlecontainertools.github.com/v1alpha2"),
        "apiVersion".into(),
    );
    check(str_at(m, &["kind"]) == Some("Plugin"), "kind".into());
    let name = str_at(m, &["metadata", "name"]).unwrap_or_default();
    check(
        name == file_stem,
        format!("name {name:?} is not the file name"),
    );
    check(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        format!("unsafe plugin name {name:?}"),
    );
    let version = str_at(m, &["spec", "version"]).unwrap_or_default();
    check(
        version == format!("v{VERSION}"),
        format!("version {version:?} is not v + Cargo.toml's {VERSION}"),
    );
    check(
        str_at(m, &["spec", "homepage"]) == Some(env!("CARGO_PKG_HOMEPAGE")),
        "homepage differs from Cargo.toml's".into(),
    );
    let short = str_at(m, &["spec", "shortDescription"]).unwrap_or_default();
    check(!short.is_empty(), "no shortDescription".into());
    check(
        !short.contains(['\r', '\n']),
        "shortDescription has a line break".into(),
    );
    check(
        short.chars().count() <= 50,
        format!("shortDescription is {} characters", short.chars().count()),
    );
    let desc = str_at(m, &["spec", "description"]).unwrap_or_default();
    check(!desc.trim().is_empty(), "no description".into());
    for line in desc.lines() {
        check(
            line.chars().count() <= 80,
            format!("description line over 80 columns: {line:?}"),
        );
        let l = line.trim_start();
        check(
            !(l.starts_with('$') || l.starts_with("kubectl ") || l.contains("```")),
            format!("usage example in the description: {line:?}"),
        );
    }
    let caveats = str_at(m, &["spec", "caveats"]).unwrap_or_default();
    check(
        caveats.contains("kubectl ambient-policy completion install"),
        "caveats do not say how to enable completion".into(),
    );
    check(
        caveats.contains("RBAC") && caveats.contains("clusterrole.yaml"),
        "caveats do not name the RBAC it needs".into(),
    );
    let platforms = m["spec"]["platforms"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    check(!platforms.is_empty(), "no platforms".into());
    for p in &platforms {
        let sel = &p["selector"];
        check(
            sel.get("matchExpressions").is_none(),
            "matchExpressions: only os/arch labels are used".into(),
        );
        let labels = sel["matchLabels"].as_object().cloned().unwrap_or_default();
        check(
            labels.len() == 2 && labels.contains_key("os") && labels.contains_key("arch"),
            format!("selector must be exactly os and arch: {sel}"),
        );
        let (os, arch) = (
            labels.get("os").and_then(Value::as_str).unwrap_or_default(),
            labels
                .get("arch")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        );
        let sha = p["sha256"].as_str().unwrap_or_default();
        check(
            sha.len() == 64 && sha.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')),
            format!("{os}/{arch}: sha256 {sha:?} is not 64 lowercase hex"),
        );
        let exe = if os == "windows" { ".exe" } else { "" };
        check(
            p["bin"].as_str() == Some(&format!("{BIN}{exe}")),
            format!("{os}/{arch}: bin {}", p["bin"]),
        );
        let ext = if os == "windows" { "zip" } else { "tar.gz" };
        let uri = p["uri"].as_str().unwrap_or_default();
        check(
            uri.starts_with("https://")
                && uri.ends_with(&format!("/{BIN}_v{VERSION}_{os}_{arch}.{ext}")),
            format!("{os}/{arch}: uri {uri:?}"),
        );
    }
    // Every platform matched by exactly one selector: none missing, none overlapping.
    for (os, arch) in PLATFORMS {
        let matching = platforms
            .iter()
            .filter(|p| {
                p["selector"]["matchLabels"].as_object().is_some_and(|l| {
                    l.iter().all(|(k, v)| match k.as_str() {
                        "os" => v == os,
                        "arch" => v == arch,
                        _ => false,
                    })
                })
            })
            .count();
        check(
            matching == 1,
            format!("{os}/{arch} is matched by {matching} platforms"),
        );
    }
    check(
        platforms.len() == PLATFORMS.len(),
        format!("{} platforms, want {}", platforms.len(), PLATFORMS.len()),
    );
    bad
}

fn parse(yaml: &str) -> Value {
    serde_saphyr::from_str(yaml).expect("manifest is YAML")
}

fn checked_in_manifest() -> String {
    std::fs::read_to_string(repo().join("krew/ambient-policy.yaml")).unwrap()
}

#[test]
fn krew_manifest_follows_krews_rules() {
    let m = parse(&checked_in_manifest());
    assert_eq!(violations("ambient-policy", &m), Vec::<String>::new());

    // The validator catches each kind of mistake.
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut b = m.clone();
        edit(&mut b);
        violations("ambient-policy", &b)
    };
    assert!(!broken(&|b| b["spec"]["shortDescription"] = "x".repeat(51).into()).is_empty());
    assert!(!broken(&|b| b["spec"]["version"] = "0.1.0".into()).is_empty());
    assert!(!broken(&|b| b["metadata"]["name"] = "ambient_policy".into()).is_empty());
    assert!(
        !broken(&|b| b["spec"]["platforms"][1]["selector"]["matchLabels"]["arch"] = "amd64".into())
            .is_empty(),
        "overlapping selectors"
    );
    assert!(
        !broken(&|b| {
            b["spec"]["platforms"][0]["selector"]["matchLabels"]
                .as_object_mut()
                .unwrap()
                .remove("arch");
        })
        .is_empty(),
        "an os-only selector overlaps every arch"
    );
    assert!(!broken(&|b| b["spec"]["platforms"][4]["sha256"] = "ABC".into()).is_empty());
    assert!(!broken(&|b| b["spec"]["platforms"][4]["bin"] = BIN.into()).is_empty());
    assert!(!broken(
        &|b| b["spec"]["description"] = "Run it:\n  kubectl ambient-policy explain\n".into()
    )
    .is_empty());
    assert!(!broken(&|b| b["spec"]["caveats"] = "none".into()).is_empty());
}

/// `.krew.yaml`, krew-release-bot's template, renders to the same manifest.
#[test]
fn release_bot_template_renders_the_manifest() {
    let template = std::fs::read_to_string(repo().join(".krew.yaml")).unwrap();
    let tag = format!("v{VERSION}");
    let mut rendered = String::new();
    for line in template.replace("{{ .TagName }}", &tag).lines() {
        match line.trim_start().strip_prefix("{{addURIAndSha \"") {
            Some(rest) => {
                let indent = &line[..line.len() - line.trim_start().len()];
                let uri = rest.split('"').next().unwrap();
                rendered.push_str(&format!(
                    "{indent}uri: {uri}\n{indent}sha256: \"{}\"\n",
                    "0".repeat(64)
                ));
            }
            None => {
                rendered.push_str(line);
                rendered.push('\n');
            }
        }
    }
    let from_template = parse(&rendered);
    assert_eq!(
        violations("ambient-policy", &from_template),
        Vec::<String>::new()
    );
    assert_eq!(from_template, parse(&checked_in_manifest()));
}

fn sha256_hex(path: &Path) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, &std::fs::read(path).unwrap());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// krew's names for this machine.
fn host_platform() -> (&'static str, &'static str) {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        o => o,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        a => a,
    };
    (os, arch)
}

/// Builds the host archive with the release script (into its own target directory, beside
/// the one running the tests, so that the nested cargo never waits on this one's lock), then
/// installs it as krew does: unpacked into a versioned store directory, the binary linked
/// onto PATH, and run through kubectl.
#[cfg(unix)]
#[test]
fn release_archive_installs_like_krew() {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let work = tmp.join("distribution");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let manifest = work.join("ambient-policy.yaml");
    std::fs::copy(repo().join("krew/ambient-policy.yaml"), &manifest).unwrap();
    let dist = work.join("dist");
    let target_dir: PathBuf = tmp.parent().unwrap().join("dist-build");

    let mut release = Command::new("bash");
    // The nested cargo must not see what cargo set for this test (CARGO_MANIFEST_DIR,
    // CARGO_PKG_*, ...): build scripts that watch them would rebuild on every run.
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
            "CARGO_PRIMARY_",
        ]
        .iter()
        .any(|p| k.starts_with(p))
            || k == "OUT_DIR"
        {
            release.env_remove(k.as_ref());
        }
    }
    let o = release
        .arg(repo().join("scripts/release.sh"))
        .arg(format!("v{VERSION}"))
        .current_dir(repo())
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("DIST_DIR", &dist)
        .env("KREW_MANIFEST", &manifest)
        .env("TARGETS", "host")
        .output()
        .unwrap();
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", text(&o.stderr));

    let (os, arch) = host_platform();
    let archive_name = format!("{BIN}_v{VERSION}_{os}_{arch}.tar.gz");
    let archive = dist.join(&archive_name);
    assert!(
        out.contains(&format!("built {}", archive.display())),
        "{out}"
    );
    for (o_, a_) in PLATFORMS.iter().filter(|p| **p != (os, arch)) {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("skipped {o_}/{a_} "))
                    && l.ends_with("left to the release CI")),
            "{o_}/{a_} not reported as skipped: {out}"
        );
    }
    let sha = sha256_hex(&archive);
    assert_eq!(
        std::fs::read_to_string(dist.join(format!("{archive_name}.sha256"))).unwrap(),
        format!("{sha}  {archive_name}\n")
    );
    eprintln!(
        "host archive: {} bytes",
        std::fs::metadata(&archive).unwrap().len()
    );

    // The filled manifest is still valid, and names the archive's checksum.
    let filled = parse(&std::fs::read_to_string(&manifest).unwrap());
    assert_eq!(violations("ambient-policy", &filled), Vec::<String>::new());
    let host = filled["spec"]["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            p["selector"]["matchLabels"]["os"] == os && p["selector"]["matchLabels"]["arch"] == arch
        })
        .unwrap();
    assert_eq!(host["sha256"], sha.as_str());
    assert!(host["uri"].as_str().unwrap().ends_with(&archive_name));

    // krew: unpack into the store, link the bin onto PATH.
    let store = work
        .join("krew/store/ambient-policy")
        .join(format!("v{VERSION}"));
    let bin_dir = work.join("krew/bin");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::create_dir_all(&bin_dir).unwrap();
    let untar = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&store)
        .status()
        .unwrap();
    assert!(untar.success());
    let mut files: Vec<String> = std::fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, ["LICENSE", "README.md", BIN]);
    let size = std::fs::metadata(store.join(BIN)).unwrap().len();
    eprintln!("release binary: {size} bytes");
    std::os::unix::fs::symlink(store.join(BIN), bin_dir.join(BIN)).unwrap();

    let Some(kubectl) = kubectl() else {
        return;
    };
    let path = std::env::join_paths(
        std::iter::once(bin_dir.clone())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let o = Command::new(&kubectl)
            .env("PATH", &path)
            .env("HOME", &work)
            .env("KUBECONFIG", work.join("no-kubeconfig"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o.stderr));
        text(&o.stdout)
    };
    let v = run(&["ambient-policy", "version"]);
    assert!(
        v.starts_with(&format!("kubectl ambient-policy {VERSION}\n")),
        "{v}"
    );
    let j: Value =
        serde_json::from_str(&run(&["ambient-policy", "version", "-o", "json"])).unwrap();
    assert_eq!(j["version"], VERSION);
    let target = j["target"].as_str().unwrap();
    assert!(
        target.starts_with(std::env::consts::ARCH) && target.contains(std::env::consts::OS),
        "{target}"
    );

    // Completion in krew's layout: the link lands beside the plugin on PATH.
    let installed = run(&["ambient-policy", "completion", "install"]);
    assert!(
        installed.contains("kubectl_complete-ambient_policy"),
        "{installed}"
    );
    let link = bin_dir.join("kubectl_complete-ambient_policy");
    assert_eq!(std::fs::read_link(&link).unwrap(), Path::new(BIN));
    let subcommands = run(&["__complete", "ambient-policy", ""]);
    assert!(
        subcommands.lines().any(|l| l.starts_with("explain\t")),
        "{subcommands}"
    );
}
