//! The `--from`/`--to` grammar, in one table: each form's prefix, the kind it names, where
//! it is accepted, and its help. `check` parses with it, shell completion offers it, and
//! reports name objects with it (`kind_form`, `short_label`).

/// One `KIND/NS/NAME` form (or a bare word: `ingress`, `external`).
#[derive(Debug, Clone, Copy)]
pub struct Form {
    /// As typed, the first being the one labels use (`deploy`), then aliases.
    pub names: &'static [&'static str],
    /// The API kind it names.
    pub kind: &'static str,
    /// Accepted by `--from` and by `--to`.
    pub from: bool,
    pub to: bool,
    /// Whether a `/NS/NAME` follows.
    pub named: bool,
    /// What completion says of it, for `--from` and for `--to`.
    pub from_help: &'static str,
    pub to_help: &'static str,
}

const fn form(
    names: &'static [&'static str],
    kind: &'static str,
    from_help: &'static str,
    to_help: &'static str,
) -> Form {
    Form {
        names,
        kind,
        from: !from_help.is_empty(),
        to: !to_help.is_empty(),
        named: true,
        from_help,
        to_help,
    }
}

#[rustfmt::skip]
pub const FORMS: &[Form] = &[
    form(&["svc", "service", "services"], "Service", "", "a Service"),
    form(&["pod", "pods", "po"], "Pod", "a Pod", "a Pod, by its IP"),
    form(&["deploy", "deployment"], "Deployment", "a Deployment's pods", "a Deployment's pods, by IP"),
    form(&["sts", "statefulset"], "StatefulSet", "a StatefulSet's pods", "a StatefulSet's pods, by IP"),
    form(&["ds", "daemonset"], "DaemonSet", "a DaemonSet's pods", "a DaemonSet's pods, by IP"),
    form(&["rs", "replicaset"], "ReplicaSet", "a ReplicaSet's pods", "a ReplicaSet's pods, by IP"),
    form(&["rc", "replicationcontroller"], "ReplicationController", "a ReplicationController's pods", "a ReplicationController's pods, by IP"),
    form(&["job"], "Job", "a Job's pods", "a Job's pods, by IP"),
    form(&["cj", "cronjob"], "CronJob", "a CronJob's pods", "a CronJob's pods, by IP"),
    form(&["rollout", "ro"], "Rollout", "an Argo Rollout's pods", "an Argo Rollout's pods, by IP"),
    form(&["sa", "serviceaccount"], "ServiceAccount", "a ServiceAccount (its pods)", ""),
    form(&["ingress"], "Gateway", "an ingress gateway (a Gateway)", ""),
    Form { named: false, ..form(&["ingress"], "", "the ingress gateway of the input, else Istio's default", "") },
    Form { named: false, ..form(&["external"], "", "a client outside the mesh (plaintext, no identity)", "") },
];

/// Kinds whose pods a form names: the controllers (and `Pod`).
fn is_workload(f: &Form) -> bool {
    f.from && f.to && f.named
}

/// The controller kind a typed prefix names (`deploy`, `StatefulSet`, ...), if any.
pub fn workload_kind(prefix: &str) -> Option<&'static str> {
    FORMS
        .iter()
        .filter(|f| is_workload(f) && f.kind != "Pod")
        .find(|f| f.names.iter().any(|n| n.eq_ignore_ascii_case(prefix)))
        .map(|f| f.kind)
}

/// Whether `prefix` is one of `kind`'s names (`svc` for Service).
pub fn names(prefix: &str, kind: &str) -> bool {
    FORMS
        .iter()
        .any(|f| f.kind == kind && f.named && f.names.contains(&prefix))
}

/// The short form labels use: `deploy`, `sts`, ...
pub fn short_kind(kind: &str) -> &'static str {
    FORMS
        .iter()
        .find(|f| f.kind == kind && f.named)
        .map_or("workload", |f| f.names[0])
}

/// A `--from`/`--to` style label (`pod/NS/NAME`, `deploy/NS/NAME`, `svc/NS/NAME:PORT`,
/// `sa/NS/NAME`) in the form the reports name objects: `Kind/NS/NAME`. Other labels
/// (`ingress`, `external`, hosts, IPs) are returned as they are.
pub fn kind_form(label: &str) -> String {
    let Some((head, rest)) = label.split_once('/') else {
        return label.to_string();
    };
    let kind = match head {
        "se" => "ServiceEntry",
        "ingress" => return label.to_string(),
        h => match FORMS
            .iter()
            .find(|f| f.named && f.names.iter().any(|n| n.eq_ignore_ascii_case(h)))
        {
            Some(f) => f.kind,
            None => return label.to_string(),
        },
    };
    format!("{kind}/{rest}")
}

/// The short label (`deploy/NS/NAME`) of a workload kind, for labels users can paste back
/// into `--from`.
pub fn short_label(kind: &str, ns: &str, name: &str) -> String {
    format!("{}/{ns}/{name}", short_kind(kind))
}

/// The forms a flag takes, as typed (`pod/`, `ingress`), with their help.
pub fn offered(source: bool) -> Vec<(String, &'static str)> {
    FORMS
        .iter()
        .filter(|f| if source { f.from } else { f.to })
        .map(|f| {
            let help = if source { f.from_help } else { f.to_help };
            let slash = if f.named { "/" } else { "" };
            (format!("{}{slash}", f.names[0]), help)
        })
        .collect()
}

/// The forms of a flag for messages, the controllers folded into one:
/// `pod/NS/NAME, NS/NAME, deploy|sts|.../NS/NAME, sa/NS/NAME, ...`.
pub fn described(source: bool) -> String {
    let port = if source { "" } else { "[:PORT]" };
    let controllers: Vec<&str> = FORMS
        .iter()
        .filter(|f| is_workload(f) && f.kind != "Pod")
        .map(|f| f.names[0])
        .collect();
    let mut v: Vec<String> = Vec::new();
    for f in FORMS.iter().filter(|f| if source { f.from } else { f.to }) {
        let name = f.names[0];
        match (f.named, f.kind) {
            (false, _) => v.push(name.to_string()),
            (true, "Pod") if source => v.extend(["pod/NS/NAME".into(), "NS/NAME".into()]),
            (true, "Pod") => v.push(format!("pod/NS/NAME{port}")),
            (true, _) if controllers.first() == Some(&name) => {
                v.push(format!("{}/NS/NAME{port}", controllers.join("|")))
            }
            (true, _) if controllers.contains(&name) => {}
            (true, _) => v.push(format!("{name}/NS/NAME{port}")),
        }
    }
    if !source {
        v.push("a hostname like reviews.default.svc.cluster.local:9080".into());
    }
    let last = v.pop().unwrap_or_default();
    format!("{} or {last}", v.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_table_names_parse_and_print_alike() {
        #[rustfmt::skip]
        let cases: &[(&str, &str, &str)] = &[
            ("deployment prefix",  "deploy/a/b",  "Deployment/a/b"),
            ("statefulset alias",  "statefulset/a/b", "StatefulSet/a/b"),
            ("daemonset",          "ds/a/b",      "DaemonSet/a/b"),
            ("cronjob",            "cj/a/b",      "CronJob/a/b"),
            ("rollout alias",      "ro/a/b",      "Rollout/a/b"),
            ("service",            "svc/a/b:80",  "Service/a/b:80"),
            ("service entry",      "se/a/b",      "ServiceEntry/a/b"),
            ("service account",    "sa/a/b",      "ServiceAccount/a/b"),
            ("ingress stays",      "ingress/a/b", "ingress/a/b"),
            ("bare words stay",    "external",    "external"),
        ];
        for (what, label, want) in cases {
            assert_eq!(kind_form(label), *want, "{what}");
        }
        for f in FORMS.iter().filter(|f| is_workload(f)) {
            let label = short_label(f.kind, "ns", "n");
            assert_eq!(kind_form(&label), format!("{}/ns/n", f.kind), "{}", f.kind);
        }
    }

    #[test]
    fn every_controller_is_offered_to_both_flags() {
        for flag in [true, false] {
            let offered: Vec<String> = offered(flag).into_iter().map(|f| f.0).collect();
            for short in [
                "pod/", "deploy/", "sts/", "ds/", "rs/", "rc/", "job/", "cj/", "rollout/",
            ] {
                assert!(
                    offered.contains(&short.to_string()),
                    "{short} for source={flag}"
                );
            }
        }
        // Messages fold the controllers into one form.
        assert_eq!(
            described(true),
            "pod/NS/NAME, NS/NAME, deploy|sts|ds|rs|rc|job|cj|rollout/NS/NAME, sa/NS/NAME, ingress/NS/NAME, ingress or external"
        );
        assert_eq!(
            described(false),
            "svc/NS/NAME[:PORT], pod/NS/NAME[:PORT], deploy|sts|ds|rs|rc|job|cj|rollout/NS/NAME[:PORT] or a hostname like reviews.default.svc.cluster.local:9080"
        );
    }
}
