//! Values only the kubeconfig or the cluster knows: contexts, clusters and users (kubeconfig
//! only, no cluster call), namespaces and workload names (a GET through the same connection
//! code as `explain`, bounded by one deadline). Any failure yields the static candidates:
//! completion must never print an error or hang the shell.

use super::Candidate;
use crate::source::kinds::{KindSpec, DEPLOYMENT, KINDS};
use crate::source::{cluster, discovery};
use kube::config::Kubeconfig;
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The whole live lookup, connecting included, stays under this.
pub const BUDGET: Duration = Duration::from_secs(2);

/// The connection flags typed before the word being completed.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub cluster: Option<String>,
    pub user: Option<String>,
    pub namespace: Option<String>,
}

pub struct Live {
    target: Target,
    deadline: Instant,
}

impl Live {
    pub fn new(target: Target) -> Self {
        Self::with_budget(target, BUDGET)
    }

    /// With another budget than the shell's `BUDGET` (tests).
    fn with_budget(target: Target, budget: Duration) -> Self {
        Live {
            target,
            deadline: Instant::now() + budget,
        }
    }

    fn kubeconfig(&self) -> Option<Kubeconfig> {
        match &self.target.kubeconfig {
            Some(p) => Kubeconfig::read_from(p).ok(),
            None => Kubeconfig::read().ok(),
        }
    }

    pub fn contexts(&self) -> Vec<Candidate> {
        let Some(kc) = self.kubeconfig() else {
            return vec![];
        };
        kc.contexts
            .iter()
            .map(|c| {
                let mut help = c
                    .context
                    .as_ref()
                    .map(|x| match &x.namespace {
                        Some(ns) => format!("cluster {}, namespace {ns}", x.cluster),
                        None => format!("cluster {}", x.cluster),
                    })
                    .unwrap_or_default();
                if kc.current_context.as_deref() == Some(c.name.as_str()) {
                    help = format!("current; {help}");
                }
                Candidate::new(&c.name, help)
            })
            .collect()
    }

    pub fn clusters(&self) -> Vec<Candidate> {
        self.kubeconfig()
            .map(|kc| {
                kc.clusters
                    .iter()
                    .map(|c| {
                        let server = c.cluster.as_ref().and_then(|x| x.server.clone());
                        Candidate::new(&c.name, server.unwrap_or_default())
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn users(&self) -> Vec<Candidate> {
        self.kubeconfig()
            .map(|kc| {
                kc.auth_infos
                    .iter()
                    .map(|u| Candidate::new(&u.name, ""))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The selected context's namespace from the kubeconfig, if it names one.
    fn context_namespace(&self) -> Option<String> {
        let kc = self.kubeconfig()?;
        let name = self
            .target
            .context
            .clone()
            .or_else(|| kc.current_context.clone())?;
        kc.contexts
            .into_iter()
            .find(|c| c.name == name)?
            .context?
            .namespace
    }

    /// `-n`, else the context's namespace, else `default` (as `explain` decides).
    pub fn default_namespace(&self) -> String {
        self.target
            .namespace
            .clone()
            .or_else(|| self.context_namespace())
            .unwrap_or_else(|| "default".into())
    }

    /// The cluster's namespaces; when it cannot be read in time, the context's namespace,
    /// `default` and `istio-system`.
    pub fn namespaces(&self) -> Vec<Candidate> {
        let spec = KINDS.iter().find(|k| k.kind == "Namespace");
        if let Some(list) = spec.and_then(|s| self.list(s, None)) {
            let mut names: Vec<String> = list.iter().filter_map(name).collect();
            names.sort();
            return names.into_iter().map(|n| Candidate::new(n, "")).collect();
        }
        let mut out = Vec::new();
        if let Some(ns) = self.context_namespace() {
            out.push(Candidate::new(ns, "the context's namespace"));
        }
        for (ns, help) in [
            ("default", "default namespace"),
            ("istio-system", "Istio's namespace"),
        ] {
            if !out.iter().any(|c| c.value == ns) {
                out.push(Candidate::new(ns, help));
            }
        }
        out
    }

    /// Names of `kind` (`pod`, `svc`, `deploy`, `sa`, `ingress`) in `ns`. Deployments fall back to the
    /// pods' ReplicaSet owners and ServiceAccounts come from the pods, so that the RBAC the
    /// plugin already needs (pods, services) is enough.
    pub fn workload_names(&self, kind: &str, ns: &str) -> Vec<String> {
        let core = |k: &str| KINDS.iter().find(|s| s.kind == k);
        let pods = || core("Pod").and_then(|s| self.list(s, Some(ns)));
        let mut names: Vec<String> = match kind {
            "pod" => pods().unwrap_or_default().iter().filter_map(name).collect(),
            "svc" => core("Service")
                .and_then(|s| self.list(s, Some(ns)))
                .unwrap_or_default()
                .iter()
                .filter_map(name)
                .collect(),
            "deploy" => match self.list(&DEPLOYMENT, Some(ns)) {
                Some(d) => d.iter().filter_map(name).collect(),
                None => pods()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(deployment_of)
                    .collect(),
            },
            "ingress" => KINDS
                .iter()
                .find(|s| s.kind == "Gateway" && s.group == crate::source::kinds::GATEWAY)
                .and_then(|s| self.list(s, Some(ns)))
                .unwrap_or_default()
                .iter()
                .filter(|g| is_ingress_gateway(g))
                .filter_map(name)
                .collect(),
            // Other controllers are not listed (the plugin's RBAC reads pods): their names
            // come from the pods' owners.
            k if crate::check::grammar::workload_kind(k).is_some() => {
                let kind = crate::check::grammar::workload_kind(k).unwrap_or_default();
                pods()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|p| controller_of(p, kind))
                    .collect()
            }
            "sa" => pods()
                .unwrap_or_default()
                .iter()
                .map(|p| {
                    p["spec"]["serviceAccountName"]
                        .as_str()
                        .unwrap_or("default")
                        .to_string()
                })
                .collect(),
            _ => vec![],
        };
        names.sort();
        names.dedup();
        names
    }

    /// The first page of a list, or `None` on any failure or after the deadline.
    fn list(&self, spec: &KindSpec, ns: Option<&str>) -> Option<Vec<Value>> {
        let left = self.deadline.checked_duration_since(Instant::now())?;
        let opts = cluster::Options {
            verbose: false,
            kubeconfig: self.target.kubeconfig.clone(),
            context: self.target.context.clone(),
            cluster: self.target.cluster.clone(),
            user: self.target.user.clone(),
            request_timeout: left,
            istio_namespace: String::new(),
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        let body = rt.block_on(async {
            tokio::time::timeout(left, async {
                let conn = cluster::connect(&opts).await.ok()?;
                // The first served version that answers (a group may serve a version
                // without this kind, as Gateway API v1.6.1 serves TCPRoute only at v1).
                for v in served_versions(&conn, spec).await {
                    let url = format!("{}?limit=500", spec.list_path(&v, ns));
                    if let Some(body) = conn.get_text(&url).await {
                        return Some(body);
                    }
                }
                None
            })
            .await
            .ok()
            .flatten()
        });
        // Do not wait for connections still closing.
        rt.shutdown_background();
        let list: Value = serde_json::from_str(&body?).ok()?;
        list["items"].as_array().cloned()
    }
}

/// The versions to try for `spec`, as the cluster source decides them (src/source/
/// discovery.rs): core and apps kinds at the kind table's stable version; other groups at the
/// versions `/apis/GROUP` says are served, newest first; the kind table's order when
/// discovery cannot be read. One request, so that completion stays within its budget.
async fn served_versions(conn: &cluster::Connection, spec: &KindSpec) -> Vec<String> {
    let table = || discovery::table_versions(spec);
    if !discovery::discovered(spec) {
        return table();
    }
    let Some(body) = conn.get_text(&format!("/apis/{}", spec.group)).await else {
        return table();
    };
    let group: Value = serde_json::from_str(&body).unwrap_or_default();
    let mut served: Vec<String> = group["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["version"].as_str().map(str::to_string))
        .collect();
    if served.is_empty() {
        return table();
    }
    discovery::newest_first(&mut served);
    served
}

/// Ingress gateways: Gateway API Gateways whose class is not a waypoint's.
fn is_ingress_gateway(gw: &Value) -> bool {
    gw["spec"]["gatewayClassName"]
        .as_str()
        .is_some_and(|c| !crate::model::labels::WAYPOINT_CLASSES.contains(&c))
}

fn name(o: &Value) -> Option<String> {
    o["metadata"]["name"].as_str().map(str::to_string)
}

/// A Deployment's pod is owned by ReplicaSet `<deployment>-<pod-template-hash>`.
fn deployment_of(pod: &Value) -> Option<String> {
    let hash = pod["metadata"]["labels"]["pod-template-hash"].as_str()?;
    pod["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .filter(|o| o["kind"] == "ReplicaSet")
        .find_map(|o| {
            o["name"]
                .as_str()?
                .strip_suffix(hash)?
                .strip_suffix('-')
                .map(str::to_string)
        })
}

/// The `kind` controller of a live pod, from its owner: the owner itself, a CronJob from
/// its Job's `NAME-<schedule time>`, a Rollout from its ReplicaSet's
/// `NAME-<rollouts-pod-template-hash>`.
fn controller_of(pod: &Value, kind: &str) -> Option<String> {
    let owners = pod["metadata"]["ownerReferences"].as_array()?;
    let owner = |k: &str| {
        owners
            .iter()
            .find(|o| o["kind"] == k)
            .and_then(|o| o["name"].as_str())
    };
    match kind {
        "CronJob" => {
            let (name, time) = owner("Job")?.rsplit_once('-')?;
            time.chars()
                .all(|c| c.is_ascii_digit())
                .then(|| name.to_string())
        }
        "Rollout" => {
            let hash = pod["metadata"]["labels"]["rollouts-pod-template-hash"].as_str()?;
            owner("ReplicaSet")?
                .strip_suffix(hash)?
                .strip_suffix('-')
                .map(str::to_string)
        }
        k => owner(k).map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn controllers_from_the_pods_owners() {
        #[rustfmt::skip]
        let cases: &[(&str, Value, &str, Option<&str>)] = &[
            ("statefulset owner", json!({"metadata": {"ownerReferences": [{"kind": "StatefulSet", "name": "db"}]}}), "StatefulSet", Some("db")),
            ("daemonset owner", json!({"metadata": {"ownerReferences": [{"kind": "DaemonSet", "name": "agent"}]}}), "DaemonSet", Some("agent")),
            ("cronjob from its job", json!({"metadata": {"ownerReferences": [{"kind": "Job", "name": "report-29012345"}]}}), "CronJob", Some("report")),
            ("a job not made by a cronjob", json!({"metadata": {"ownerReferences": [{"kind": "Job", "name": "migrate"}]}}), "CronJob", None),
            ("rollout from its replicaset", json!({"metadata": {"labels": {"rollouts-pod-template-hash": "5f6c"},
                "ownerReferences": [{"kind": "ReplicaSet", "name": "web-5f6c"}]}}), "Rollout", Some("web")),
            ("another kind's owner", json!({"metadata": {"ownerReferences": [{"kind": "StatefulSet", "name": "db"}]}}), "DaemonSet", None),
        ];
        for (what, pod, kind, want) in cases {
            assert_eq!(controller_of(pod, kind).as_deref(), *want, "{what}");
        }
    }

    #[test]
    fn deployment_from_the_replicaset_owner() {
        let pod = json!({"metadata": {"name": "web-7d9f-x", "labels": {"pod-template-hash": "7d9f"},
            "ownerReferences": [{"kind": "ReplicaSet", "name": "web-7d9f"}]}});
        assert_eq!(deployment_of(&pod).as_deref(), Some("web"));
        let bare = json!({"metadata": {"name": "debug"}});
        assert_eq!(deployment_of(&bare), None);
        let job = json!({"metadata": {"labels": {"pod-template-hash": "1"},
            "ownerReferences": [{"kind": "Job", "name": "x-1"}]}});
        assert_eq!(deployment_of(&job), None);
    }

    #[test]
    fn unreadable_kubeconfig_gives_static_values_quickly() {
        // A budget of ten minutes: giving up at once (no connection is possible) is told
        // apart from waiting the budget out by a margin no loaded machine closes.
        let budget = Duration::from_secs(600);
        let live = Live::with_budget(
            Target {
                kubeconfig: Some("/nonexistent/kubeconfig".into()),
                ..Target::default()
            },
            budget,
        );
        let started = Instant::now();
        let ns: Vec<String> = live.namespaces().into_iter().map(|c| c.value).collect();
        assert_eq!(ns, ["default", "istio-system"]);
        assert!(live.contexts().is_empty());
        assert!(live.workload_names("pod", "default").is_empty());
        assert!(started.elapsed() < budget / 10, "{:?}", started.elapsed());
        assert_eq!(live.default_namespace(), "default");
    }
}
