//! istiod revisions (`istio.io/rev`): every istiod Deployment read, its revision and version,
//! and the one ztunnel connects to, whose configuration ztunnel enforces (SEMANTICS.md 4.1
//! step 1). ztunnel has one XDS connection: the Helm chart points `XDS_ADDRESS` at
//! `istiod-<revision>.<namespace>.svc:15012` (`istiod.…` without a revision), so a namespace's
//! `istio.io/rev` label does not change which istiod serves its ambient pods.

use super::{image_version, MeshSettings, Setting};
use crate::model::{Controller, Deployment};

/// The label (on an object or namespace) and the istiod Helm label naming a revision.
pub const REV_LABEL: &str = "istio.io/rev";

/// One istiod Deployment of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IstiodRevision {
    /// What istiod compares `istio.io/rev` labels with: its `REVISION` env (the Helm chart
    /// sets it to the revision, `default` without one), else the Deployment's label.
    pub name: String,
    /// `istio-system/istiod-canary`.
    pub deployment: String,
    /// The discovery container's image tag, as read (`1.27.0`, or what could not be read).
    pub version: String,
}

impl IstiodRevision {
    pub fn read(d: &Deployment) -> Self {
        let discovery = d.template().and_then(|t| {
            t.spec
                .containers
                .iter()
                .find(|c| c.name == "discovery" || c.image.contains("pilot"))
        });
        let env = discovery.and_then(|c| {
            c.env
                .iter()
                .find(|e| e.name == "REVISION")
                .and_then(|e| e.value.clone())
        });
        let label = d
            .metadata
            .label(REV_LABEL)
            .or_else(|| d.template().and_then(|t| t.metadata.label(REV_LABEL)));
        IstiodRevision {
            name: env
                .filter(|e| !e.is_empty())
                .or(label.map(str::to_string))
                .unwrap_or_else(|| "default".into()),
            deployment: format!("{}/{}", d.metadata.namespace, d.metadata.name),
            version: discovery.map_or_else(|| "unknown".into(), |c| image_version(&c.image)),
        }
    }
}

/// The name of the istiod Service (= Deployment, in the Helm charts) ztunnel connects to:
/// the host of its `XDS_ADDRESS`, else `istiod-<istio.io/rev>` from its labels, else `istiod`;
/// with its namespace (the address's, else ztunnel's) and how it was read.
pub fn ztunnel_istiod(ds: &Controller) -> ((String, String), String) {
    let ns = ds.metadata.namespace.clone();
    let source = format!("DaemonSet {}/{}", ds.metadata.namespace, ds.metadata.name);
    let containers = ds
        .template()
        .map_or(&[][..], |t| t.spec.containers.as_slice());
    let xds = containers
        .iter()
        .flat_map(|c| &c.env)
        .find(|e| e.name == "XDS_ADDRESS")
        .and_then(|e| e.value.as_deref())
        .filter(|v| !v.is_empty());
    if let Some(addr) = xds {
        let host = addr.split(':').next().unwrap_or(addr);
        let mut parts = host.split('.');
        let svc = parts.next().unwrap_or(host).to_string();
        if !svc.is_empty() {
            let ns = parts
                .next()
                .filter(|n| !n.is_empty())
                .map_or(ns, str::to_string);
            return ((ns, svc), format!("XDS_ADDRESS of {source}"));
        }
    }
    let label = ds
        .metadata
        .label(REV_LABEL)
        .or_else(|| ds.template().and_then(|t| t.metadata.label(REV_LABEL)));
    match label {
        Some(rev) if !rev.is_empty() => (
            (ns, format!("istiod-{rev}")),
            format!("{REV_LABEL} of {source}"),
        ),
        _ => ((ns, "istiod".into()), format!("{source} (no revision)")),
    }
}

impl MeshSettings {
    /// Records every istiod Deployment, then applies the one ztunnel connects to (by name,
    /// in its namespace); without ztunnel in the input, the one named `istiod`, else the last.
    /// Returns the one applied.
    pub fn apply_istiods<'a>(&mut self, istiods: &'a [Deployment]) -> Option<&'a Deployment> {
        self.revisions = istiods.iter().map(IstiodRevision::read).collect();
        let by_name = |name: &str| {
            istiods.iter().rev().find(|d| {
                d.metadata.name == name
                    && self
                        .ztunnel_istiod
                        .as_ref()
                        .is_none_or(|z| z.value.0.is_empty() || z.value.0 == d.metadata.namespace)
            })
        };
        let wanted = self.ztunnel_istiod.as_ref().map(|z| z.value.1.clone());
        let (chosen, how) = match wanted.as_deref().and_then(by_name) {
            Some(d) => (
                Some(d),
                self.ztunnel_istiod.as_ref().map(|z| z.source.clone()),
            ),
            None => (by_name("istiod").or(istiods.last()), None),
        };
        let d = chosen?;
        self.apply_istiod(d);
        if let (Some(missing), Some(v)) = (self.ztunnel_istiod_missing(), &mut self.istio_version) {
            // Another istiod serves ztunnel: its version is not known; this one's stands in.
            v.source = format!(
                "{}, assumed: ztunnel's istiod {missing} is not in the input",
                v.source
            );
        }
        let rev = IstiodRevision::read(d);
        // With one istiod and no ztunnel in the input, that istiod serves ztunnel.
        let source = match how {
            Some(how) => format!("Deployment {} ({how})", rev.deployment),
            None if istiods.len() == 1 && self.ztunnel_istiod.is_none() => {
                format!("Deployment {}", rev.deployment)
            }
            None => return Some(d),
        };
        self.revision = Some(Setting::new(rev.name, &source));
        Some(d)
    }

    /// `ns/name` of the istiod ztunnel connects to, when istiods are in the input but not that
    /// one (the versions and revision read are then another istiod's).
    pub fn ztunnel_istiod_missing(&self) -> Option<String> {
        let z = &self.ztunnel_istiod.as_ref()?.value;
        let (ns, name) = (z.0.as_str(), z.1.as_str());
        let found = self.revisions.iter().any(|r| {
            r.deployment
                .split_once('/')
                .is_some_and(|(n, d)| d == name && (ns.is_empty() || n == ns))
        });
        (!found && !self.revisions.is_empty()).then(|| format!("{ns}/{name}"))
    }

    /// The istiod revision whose configuration ztunnel receives, when known.
    pub fn ztunnel_revision(&self) -> Option<&str> {
        self.revision.as_ref().map(|r| r.value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(yaml: &str) -> Controller {
        let mut c: Controller = serde_saphyr::from_str(yaml).unwrap();
        c.kind = "DaemonSet".into();
        c
    }

    #[test]
    fn the_istiod_ztunnel_connects_to() {
        let head = "metadata: {name: ztunnel, namespace: istio-system";
        let cases = [
            // The chart's XDS_ADDRESS wins, in whichever namespace it names.
            (
                "labels: {istio.io/rev: canary}}\nspec: {template: {spec: {containers: [{name: istio-proxy, image: z, env: [{name: XDS_ADDRESS, value: 'istiod-1-28.istio-cp.svc:15012'}]}]}}}",
                ("istio-cp", "istiod-1-28"),
            ),
            ("labels: {istio.io/rev: canary}}", ("istio-system", "istiod-canary")),
            // An address without a host says nothing: the label decides.
            (
                "labels: {istio.io/rev: canary}}\nspec: {template: {spec: {containers: [{name: istio-proxy, image: z, env: [{name: XDS_ADDRESS, value: ':15012'}]}]}}}",
                ("istio-system", "istiod-canary"),
            ),
            ("}", ("istio-system", "istiod")),
        ];
        for (rest, (ns, name)) in cases {
            let ((got_ns, got), _) = ztunnel_istiod(&ds(&format!("{head}, {rest}")));
            assert_eq!((got_ns.as_str(), got.as_str()), (ns, name), "{rest}");
        }
    }

    #[test]
    fn a_revision_is_its_env_else_its_label_else_default() {
        let d = |yaml: &str| -> Deployment { serde_saphyr::from_str(yaml).unwrap() };
        let env = d("metadata: {name: istiod-c, namespace: istio-system, labels: {istio.io/rev: x}}\nspec: {template: {spec: {containers: [{name: discovery, image: 'pilot:1.27.1', env: [{name: REVISION, value: c}]}]}}}");
        let r = IstiodRevision::read(&env);
        assert_eq!((r.name.as_str(), r.version.as_str()), ("c", "1.27.1"));
        let label =
            d("metadata: {name: istiod-x, namespace: istio-system, labels: {istio.io/rev: x}}");
        assert_eq!(IstiodRevision::read(&label).name, "x");
        let none = d("metadata: {name: istiod, namespace: istio-system}");
        assert_eq!(IstiodRevision::read(&none).name, "default");
    }
}
