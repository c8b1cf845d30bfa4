//! Limits on manifest input. The plugin runs in CI on manifests from pull requests, so every
//! input is untrusted: each limit turns a hostile or broken input into one clear error (exit 2)
//! instead of unbounded time or memory. Documented in docs/input.md ("Limits").

/// Largest single input (file, stdin, or `kubectl kustomize` output). 100,000 pods as
/// `kubectl get -o json` prints them are about 250 MB.
pub const MAX_FILE_BYTES: u64 = 512 << 20;

/// Largest sum of all inputs of one run.
pub const MAX_TOTAL_BYTES: u64 = 1 << 30;

/// Most YAML documents (`---`-separated) over all inputs. A `kind: List` counts once.
pub const MAX_DOCUMENTS: usize = 250_000;

/// Deepest YAML nesting (mappings and sequences); Kubernetes objects need about 15 levels.
pub const MAX_YAML_DEPTH: usize = 64;

/// Deepest JSON nesting: serde_json's fixed recursion limit.
pub const MAX_JSON_DEPTH: usize = 128;

/// Most YAML aliases (`*name`) and anchors (`&name`) per document.
pub const MAX_YAML_ALIASES: usize = 10_000;

/// Most YAML events that aliases may replay per document: stops "billion laughs" bombs, whose
/// few aliases expand exponentially.
pub const MAX_YAML_ALIAS_EXPANSION: usize = 100_000;

/// Most files read from `-f` directories (recursively) in one run.
pub const MAX_FILES: usize = 100_000;
