//! Istio's own objects as the Helm charts render them (trimmed to the fields that matter):
//! istiod's Deployment with its image and env, and ztunnel's DaemonSet, for the tests of
//! version-dependent rules.

/// istiod's Deployment and, when given, ztunnel's DaemonSet as the Helm charts render them
/// (trimmed to the fields that matter), with these images and istiod env.
pub fn istio(istiod_image: &str, ztunnel_image: Option<&str>, env: &[(&str, &str)]) -> String {
    let env: String = env
        .iter()
        .map(|(k, v)| format!("        - name: {k}\n          value: \"{v}\"\n"))
        .collect();
    let mut s = format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: istiod
  namespace: istio-system
  labels: {{app: istiod, istio.io/rev: default}}
spec:
  selector:
    matchLabels: {{istio: pilot}}
  template:
    metadata:
      labels: {{app: istiod, istio: pilot}}
    spec:
      serviceAccountName: istiod
      containers:
      - name: discovery
        image: {istiod_image}
        env:
        - name: PILOT_ENABLE_AMBIENT
          value: \"true\"
{env}"
    );
    if let Some(z) = ztunnel_image {
        s.push_str(&format!(
            "---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ztunnel
  namespace: istio-system
  labels: {{app: ztunnel}}
spec:
  selector:
    matchLabels: {{app: ztunnel}}
  template:
    metadata:
      labels: {{app: ztunnel, sidecar.istio.io/inject: \"false\"}}
    spec:
      serviceAccountName: ztunnel
      containers:
      - name: istio-proxy
        image: {z}
        args: [proxy, ztunnel]
"
        ));
    }
    s
}
