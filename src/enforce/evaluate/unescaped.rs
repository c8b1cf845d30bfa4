//! What an Envoy-based proxy matches where istiod wrote an identity value into a regex
//! without escaping it (docs/versions.md `envoy-regex-escaping`, CVE-2026-39350), as
//! `pilot/pkg/security/authz/model/generator.go` and `matcher/string.go` at 1.29.0 build them:
//! `namespaces` as `.*/ns/NS/.*` (`*` read as `.*`), `serviceAccounts` as
//! `spiffe://.+/ns/NS/(.+/|)sa/SA(/.+)?`, suffix `principals` (`*X`) as `spiffe://.*X`, each
//! matched against the whole URI SAN of the peer. Envoy's `safe_regex` is RE2; the `regex`
//! crate reads the same syntax with the same guarantees (linear time, no backreferences, no
//! look-around) and is anchored here, as RE2's full match is.

use super::peer::Peer;
use crate::versions::rules::Unescaped;
use regex::Regex;

/// Characters that change a regex's meaning (Go's `regexp.QuoteMeta` set).
const META: &[char] = &[
    '.', '+', '*', '?', '(', ')', '[', ']', '{', '}', '|', '^', '$', '\\',
];

/// Which generator a value goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Namespace,
    ServiceAccount,
    Principal,
}

impl Field {
    /// Which kind of value this is, for `Rules::envoy_regex_rows`.
    pub fn kind(self) -> Unescaped {
        Unescaped {
            service_accounts: self == Field::ServiceAccount,
            namespaces_principals: self != Field::ServiceAccount,
        }
    }
}

/// One value as the proxy matches it through an unescaped regex.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The value as written.
    pub shown: String,
    /// `None`: not a valid regex (Envoy refuses the configuration; nothing known).
    regex: Option<Regex>,
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.shown)
    }
}

fn has_meta(v: &str, star_is_wildcard: bool) -> bool {
    v.chars()
        .any(|c| META.contains(&c) && !(star_is_wildcard && c == '*'))
}

impl Pattern {
    /// The regex of `value` in `field` where the release leaves it unescaped (`u`) and an
    /// escaped reading could differ (the value holds a metacharacter); `None` otherwise.
    pub fn of(field: Field, value: &str, policy_ns: &str, u: Unescaped) -> Option<Pattern> {
        let re = match field {
            Field::Namespace if u.namespaces_principals && has_meta(value, true) => {
                format!(".*/ns/{}/.*", value.replace('*', ".*"))
            }
            Field::ServiceAccount if u.service_accounts && has_meta(value, false) => {
                let (ns, sa) = value.split_once('/').unwrap_or((policy_ns, value));
                format!("spiffe://.+/ns/{ns}/(.+/|)sa/{sa}(/.+)?")
            }
            Field::Principal if u.namespaces_principals => {
                let rest = value.strip_prefix('*').filter(|r| has_meta(r, false))?;
                format!("spiffe://.*{rest}")
            }
            _ => return None,
        };
        Some(Pattern {
            shown: value.to_string(),
            regex: Regex::new(&format!("^(?:{re})$")).ok(),
        })
    }

    /// Whether the peer's URI SAN matches: known for a named peer (unless the regex is
    /// invalid), unknown for a peer the question does not name, never for plaintext.
    pub fn hit(&self, peer: &Peer) -> Option<bool> {
        match peer {
            Peer::Known(id) => self
                .regex
                .as_ref()
                .map(|re| re.is_match(&format!("spiffe://{id}"))),
            Peer::Any { .. } => None,
            Peer::Plaintext => Some(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Unescaped = Unescaped {
        service_accounts: true,
        namespaces_principals: true,
    };

    #[test]
    fn generated_shapes_match_more_than_written() {
        // (field, value, peer, matches)
        let cases = [
            (
                Field::ServiceAccount,
                "api.v1",
                "td/ns/shop/sa/api.v1",
                Some(true),
            ),
            (
                Field::ServiceAccount,
                "api.v1",
                "td/ns/shop/sa/apixv1",
                Some(true),
            ),
            (
                Field::ServiceAccount,
                "api.v1",
                "td/ns/shop/sa/api-v1x",
                Some(false),
            ),
            (
                Field::ServiceAccount,
                "api.v1",
                "td/ns/other/sa/apixv1",
                Some(false),
            ),
            (
                Field::ServiceAccount,
                "o.her/a+",
                "td/ns/other/sa/aaa",
                Some(true),
            ),
            (Field::ServiceAccount, "a(", "td/ns/shop/sa/a(", None),
            (Field::Namespace, "team.a", "td/ns/team-a/sa/x", Some(true)),
            (Field::Namespace, "team.a", "td/ns/team-b/sa/x", Some(false)),
            (Field::Namespace, "team.*", "td/ns/teamz/sa/x", Some(true)),
            (
                Field::Principal,
                "*/sa/api.v1",
                "td/ns/x/sa/api_v1",
                Some(true),
            ),
            (
                Field::Principal,
                "*/sa/api.v1",
                "td/ns/x/sa/api_v2",
                Some(false),
            ),
        ];
        for (field, value, peer, want) in cases {
            let p = Pattern::of(field, value, "shop", ALL).expect(value);
            assert_eq!(p.hit(&Peer::known(peer)), want, "{field:?} {value} {peer}");
            assert_eq!(p.hit(&Peer::Plaintext), Some(false));
        }
    }

    #[test]
    fn only_values_an_escaped_reading_could_differ_on() {
        assert!(Pattern::of(Field::ServiceAccount, "api", "shop", ALL).is_none());
        assert!(Pattern::of(Field::Namespace, "team-*", "shop", ALL).is_none());
        assert!(Pattern::of(Field::Principal, "td/ns/a.b/sa/x", "shop", ALL).is_none());
        assert!(Pattern::of(Field::Principal, "td/ns/a.b/*", "shop", ALL).is_none());
        let fixed = Unescaped::default();
        assert!(Pattern::of(Field::ServiceAccount, "api.v1", "shop", fixed).is_none());
        let sa_only = Unescaped {
            service_accounts: true,
            namespaces_principals: false,
        };
        assert!(Pattern::of(Field::Namespace, "a.b", "shop", sa_only).is_none());
        assert!(Pattern::of(Field::ServiceAccount, "a.b", "shop", sa_only).is_some());
    }
}
