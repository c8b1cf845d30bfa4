//! Which version of each Gateway API and Istio kind the API server serves, from legacy API
//! discovery (`/api`, `/apis`, `/apis/GROUP/VERSION`; every authenticated user may read it,
//! through the `system:discovery` ClusterRole). The newest served version wins: Gateway API
//! v1.6.1, for one, serves TCPRoute only at `v1`. Gateway API and Istio CRDs keep one schema
//! across their served versions (no conversion webhooks), so any served version decodes into
//! the same slim types. When discovery cannot be read, the kind table's order is tried.

use super::kinds::KindSpec;
use super::request::{Fail, Requester};
use futures::future::join_all;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The outcome of discovery.
#[derive(Debug, Default)]
pub struct Served {
    /// (group, plural) -> served versions, newest first; for the groups discovery could read.
    kinds: BTreeMap<(String, String), Vec<String>>,
    /// Groups whose resource lists were read, or that are not served at all: kinds absent
    /// from them are not installed.
    groups: BTreeSet<String>,
    /// Discovery could not be read (e.g. forbidden): use the kind table's order.
    pub fallback: bool,
}

/// Why discovery says there is no Kubernetes API at all.
pub enum NoApi {
    /// `/api` answered 404, or something that is not an `APIVersions`.
    NotKubernetes(String),
    /// The request itself failed (401, unreachable): the caller reports it as for any request.
    Request(Fail),
}

/// Whether discovery chooses the version of `spec`: core and apps kinds stay at the kind
/// table's stable version.
pub fn discovered(spec: &KindSpec) -> bool {
    !(spec.group.is_empty() || spec.group == "apps")
}

/// The kind table's versions, in its order: for core and apps kinds, and whenever discovery
/// cannot be read.
pub fn table_versions(spec: &KindSpec) -> Vec<String> {
    spec.versions.iter().map(|v| v.to_string()).collect()
}

/// Orders versions newest first, as Kubernetes ranks them (v2 > v1 > v1beta1 > v1alpha3).
pub fn newest_first<S: AsRef<str>>(vs: &mut [S]) {
    vs.sort_by_key(|v| std::cmp::Reverse(kube::core::Version::parse(v.as_ref()).priority()));
}

impl Served {
    /// The versions to try for a kind, in order; empty when the kind is not served.
    pub fn versions(&self, spec: &KindSpec) -> Vec<String> {
        let fixed = || table_versions(spec);
        if !discovered(spec) || self.fallback {
            return fixed();
        }
        match self
            .kinds
            .get(&(spec.group.to_string(), spec.plural.to_string()))
        {
            Some(vs) => vs.clone(),
            None if self.groups.contains(spec.group) => vec![],
            None => fixed(),
        }
    }
}

#[derive(Deserialize)]
struct ApiVersions {
    versions: Vec<String>,
}

#[derive(Deserialize)]
struct GroupList {
    #[serde(default)]
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    name: String,
    #[serde(default)]
    versions: Vec<GroupVersion>,
}

#[derive(Deserialize)]
struct GroupVersion {
    version: String,
}

#[derive(Deserialize)]
struct ResourceList {
    #[serde(default)]
    resources: Vec<Resource>,
}

#[derive(Deserialize)]
struct Resource {
    name: String,
}

/// Reads discovery for the groups of `specs`. Only a missing Kubernetes API, 401 and
/// transport failures are errors; anything else falls back to the kind table.
pub async fn discover(r: &Requester, specs: &[&'static KindSpec]) -> Result<Served, NoApi> {
    let fallback = Served {
        fallback: true,
        ..Served::default()
    };
    let (core, groups) = futures::join!(r.get("/api"), r.get("/apis"));
    match core {
        Ok(body) => {
            let versions = serde_json::from_slice::<ApiVersions>(&body).map(|a| a.versions);
            if versions.map_or(true, |v| v.is_empty()) {
                return Err(NoApi::NotKubernetes(
                    "GET /api did not answer with Kubernetes API versions".into(),
                ));
            }
        }
        Err(Fail::NotFound) => {
            return Err(NoApi::NotKubernetes(
                "GET /api answered 404 Not Found".into(),
            ))
        }
        Err(f @ (Fail::Unauthorized | Fail::Unreachable(_))) => return Err(NoApi::Request(f)),
        Err(_) => return Ok(fallback),
    }
    let groups = match groups.map(|b| serde_json::from_slice::<GroupList>(&b)) {
        Ok(Ok(g)) => g.groups,
        Err(f @ (Fail::Unauthorized | Fail::Unreachable(_))) => return Err(NoApi::Request(f)),
        _ => return Ok(fallback),
    };
    let wanted: Vec<&Group> = groups
        .iter()
        .filter(|g| specs.iter().any(|s| s.group == g.name))
        .collect();
    let jobs: Vec<(&str, &str)> = wanted
        .iter()
        .flat_map(|g| {
            g.versions
                .iter()
                .map(|v| (g.name.as_str(), v.version.as_str()))
        })
        .collect();
    let lists = join_all(
        jobs.iter()
            .map(|(g, v)| async move { r.get(&format!("/apis/{g}/{v}")).await }),
    )
    .await;
    let mut served = Served::default();
    let mut unreadable: Vec<&str> = vec![];
    for ((group, version), list) in jobs.iter().zip(lists) {
        match list.map(|b| serde_json::from_slice::<ResourceList>(&b)) {
            Ok(Ok(list)) => {
                for res in list.resources.iter().filter(|r| !r.name.contains('/')) {
                    served
                        .kinds
                        .entry((group.to_string(), res.name.clone()))
                        .or_default()
                        .push(version.to_string());
                }
            }
            Err(f @ (Fail::Unauthorized | Fail::Unreachable(_))) => return Err(NoApi::Request(f)),
            // One group version unreadable: that group falls back to the kind table.
            _ => unreadable.push(group),
        }
    }
    for vs in served.kinds.values_mut() {
        newest_first(vs);
    }
    served
        .kinds
        .retain(|(g, _), _| !unreadable.contains(&g.as_str()));
    // Groups the server does not list at all are not installed.
    served.groups = specs
        .iter()
        .map(|s| s.group)
        .filter(|g| !g.is_empty() && !unreadable.contains(g))
        .map(str::to_string)
        .collect();
    Ok(served)
}

#[cfg(test)]
mod tests {
    #[test]
    fn newest_version_first() {
        let mut vs = vec!["v1alpha2", "v1", "v1beta1", "v2", "v1alpha3"];
        super::newest_first(&mut vs);
        assert_eq!(vs, ["v2", "v1", "v1beta1", "v1alpha3", "v1alpha2"]);
    }
}
