//! Istio versions: what runs (istiod, ztunnel), read from image tags or given on the command
//! line, and the one table of the rules that change with them (`rules`, SEMANTICS.md 13).
//! A leaf: the mesh builds `Rules` from the Snapshot's settings, the engine asks it, and the
//! reports list the rows that decided something.

pub mod rules;

pub use rules::{Row, RuleRow, Rules, TABLE};

use std::fmt;

/// `major.minor.patch`; pre-release and build suffixes are dropped (`1.29.0-rc.1` is 1.29.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

/// The newest release the rule table knows: assumed when a version is unknown.
pub const NEWEST: Version = Version::new(1, 31, 0);
/// The oldest release the rule table covers.
pub const OLDEST: Version = Version::new(1, 24, 0);

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// `1.26`, `1.26.2`, `v1.26.2`, `1.26.2-distroless`, `1.29.0-rc.1`; `X.Y` is `X.Y.0`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.strip_prefix('v').unwrap_or(s);
        let core = s.split(['-', '+', '_']).next()?;
        let mut parts = core.split('.');
        let num = |p: Option<&str>| -> Option<u32> {
            let p = p?;
            (!p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        };
        let major = num(parts.next())?;
        let minor = num(parts.next())?;
        let patch = match parts.next() {
            Some(p) => num(Some(p))?,
            None => 0,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Version::new(major, minor, patch))
    }

    /// The version in an image reference's tag (`docker.io/istio/pilot:1.26.2`). A digest
    /// alone, `latest`, or no tag is no version.
    pub fn from_image(image: &str) -> Option<Self> {
        image_tag(image).and_then(Version::parse)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The tag of an image reference: after the last `:` of the name, not a registry port
/// (`registry:5000/istio/pilot` has none); a digest (`@sha256:…`) is not a tag.
pub fn image_tag(image: &str) -> Option<&str> {
    let name = image.split('@').next()?;
    let colon = name.rfind(':')?;
    if name[colon..].contains('/') {
        return None;
    }
    Some(&name[colon + 1..]).filter(|t| !t.is_empty())
}

/// One component's version as the analysis uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub version: Version,
    /// Read from the input or given with a flag; otherwise assumed.
    pub known: bool,
    /// The version as shown (`1.26.2`; what was read, `1.26.2-distroless`, is in `source`),
    /// or `unknown`.
    pub text: String,
    /// Where it was read: `Deployment istio-system/istiod`, `--istio-version`, ...
    pub source: String,
}

impl Running {
    /// `raw`: the tag or flag value with where it came from. An unknown istiod is the newest
    /// release the table knows; an unknown ztunnel runs istiod's version (no skew).
    pub fn detect(raw: Option<(&str, &str)>, fallback: Option<&Running>) -> Running {
        if let Some((text, source)) = raw {
            if let Some(v) = Version::parse(text) {
                let mut source = source.to_string();
                if v.to_string() != text {
                    source.push_str(&format!(" ({text})"));
                }
                // Beyond the table, the nearest end of it applies: say so.
                if (v.major, v.minor) > (NEWEST.major, NEWEST.minor) {
                    source.push_str(&format!(
                        "; newer than {}.{}, the newest release whose rules are known: its rules apply",
                        NEWEST.major, NEWEST.minor
                    ));
                } else if v < OLDEST {
                    source.push_str(&format!(
                        "; older than {}.{}, the oldest release the rules cover",
                        OLDEST.major, OLDEST.minor
                    ));
                }
                return Running {
                    version: v,
                    known: true,
                    text: v.to_string(),
                    source,
                };
            }
        }
        let why = |assumed: String| match raw {
            Some((text, source)) => format!("{text:?} from {source} is no version; {assumed}"),
            None => format!("not in the input; {assumed}"),
        };
        match fallback {
            Some(f) => Running {
                version: f.version,
                known: false,
                text: "unknown".into(),
                source: why("istiod's version (give --ztunnel-version)".into()),
            },
            None => Running {
                version: NEWEST,
                known: false,
                text: "unknown".into(),
                source: why(
                    "the newest release whose rules are known (give --istio-version)".into(),
                ),
            },
        }
    }

    /// `1.26.2`, or `1.31 (assumed)`.
    pub fn shown(&self) -> String {
        if self.known {
            self.text.clone()
        } else {
            format!("{} (assumed)", self.version)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_image_tags() {
        let cases = [
            ("docker.io/istio/pilot:1.26.2", Some((1, 26, 2))),
            (
                "gcr.io/istio-release/pilot:1.26.2-distroless",
                Some((1, 26, 2)),
            ),
            ("registry.local:5000/istio/pilot:1.25.1", Some((1, 25, 1))),
            ("registry.local:5000/istio/pilot", None),
            ("istio/pilot:latest", None),
            ("istio/pilot", None),
            ("istio/pilot@sha256:0123abcd", None),
            ("istio/pilot:1.29.0@sha256:0123abcd", Some((1, 29, 0))),
            ("istio/ztunnel:1.29.0-rc.1", Some((1, 29, 0))),
            ("istio/ztunnel:1.30-dev", Some((1, 30, 0))),
            ("istio/ztunnel:v1.28.3", Some((1, 28, 3))),
            ("istio/ztunnel:1.28.3.4", None),
            ("istio/ztunnel:1.x", None),
            ("istio/ztunnel:", None),
        ];
        for (image, want) in cases {
            let got = Version::from_image(image).map(|v| (v.major, v.minor, v.patch));
            assert_eq!(got, want, "{image}");
        }
    }

    #[test]
    fn order_and_display() {
        let v = |s| Version::parse(s).unwrap();
        assert!(v("1.25.1") < v("1.25.2") && v("1.25.2") < v("1.26") && v("1.9") < v("1.10"));
        assert_eq!(v("1.26").to_string(), "1.26.0");
    }

    #[test]
    fn unknown_versions_say_what_they_assume() {
        let istiod = Running::detect(Some(("latest", "Deployment istio-system/istiod")), None);
        assert!(!istiod.known && istiod.version == NEWEST);
        assert!(istiod.source.contains("\"latest\"") && istiod.source.contains("newest"));
        let zt = Running::detect(None, Some(&istiod));
        assert_eq!(zt.version, NEWEST);
        assert!(zt.source.contains("istiod's version"), "{}", zt.source);
        let known = Running::detect(Some(("1.25.1", "--istio-version")), None);
        let zt = Running::detect(None, Some(&known));
        assert_eq!((zt.version, zt.known), (Version::new(1, 25, 1), false));
        assert_eq!(known.shown(), "1.25.1");
        assert_eq!(zt.shown(), "1.25.1 (assumed)");
    }
}
