//! Kubernetes label selectors: the structured form (`matchLabels` / `matchExpressions`, as in
//! Gateway `allowedRoutes` and CNI enablement selectors) and the string form of `-l`.
//!
//! Hand-written on purpose: kube-core's `Selector` builds query strings but neither parses
//! kubectl's syntax nor matches label sets, and the crates that do are unmaintained.

use serde::{Deserialize, Deserializer};

mod labels;
pub use labels::Labels;

/// `null` (as `kubectl get -o yaml` prints for empty maps and lists) decodes like an absent
/// field: the rule of `model::null_default`, kept here because the matcher sits below the
/// model (the model's types embed these, not the other way round).
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(default, deserialize_with = "null_default")]
    pub match_labels: Labels,
    #[serde(default, deserialize_with = "null_default")]
    pub match_expressions: Vec<Requirement>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    #[serde(default, deserialize_with = "null_default")]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    // Only reachable from the string form (`a=b`, `a!=b`), kept apart for Display.
    #[serde(skip)]
    Equals,
    #[serde(skip)]
    NotEquals,
}

impl Operator {
    /// The operator of a `matchExpressions` entry as the API writes it; `None` for any other.
    pub fn from_api(s: &str) -> Option<Operator> {
        Some(match s {
            "In" => Operator::In,
            "NotIn" => Operator::NotIn,
            "Exists" => Operator::Exists,
            "DoesNotExist" => Operator::DoesNotExist,
            _ => return None,
        })
    }
}

impl Requirement {
    pub fn matches(&self, labels: &Labels) -> bool {
        let v = labels.get(&self.key);
        match self.operator {
            Operator::In | Operator::Equals => {
                v.is_some_and(|v| self.values.iter().any(|x| x == v))
            }
            // Like Kubernetes: NotIn / != also match when the key is absent.
            Operator::NotIn | Operator::NotEquals => {
                !v.is_some_and(|v| self.values.iter().any(|x| x == v))
            }
            Operator::Exists => v.is_some(),
            Operator::DoesNotExist => v.is_none(),
        }
    }
}

impl LabelSelector {
    /// An empty selector selects everything (Kubernetes semantics).
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| r.matches(labels))
    }

    /// Parses kubectl's `-l` syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`.
    pub fn parse(input: &str) -> Result<Self, String> {
        let mut sel = LabelSelector::default();
        for term in split_terms(input)? {
            let term = term.trim();
            if term.is_empty() {
                return Err(format!(
                    "invalid label selector {input:?}: empty requirement"
                ));
            }
            sel.match_expressions.push(
                parse_term(term).map_err(|e| format!("invalid label selector {input:?}: {e}"))?,
            );
        }
        Ok(sel)
    }
}

/// Splits on commas that are not inside parentheses.
fn split_terms(input: &str) -> Result<Vec<&str>, String> {
    let (mut depth, mut start, mut out) = (0i32, 0usize, Vec::new());
    for (i, c) in input.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&input[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        if !(0..=1).contains(&depth) {
            return Err(format!(
                "invalid label selector {input:?}: unbalanced parentheses"
            ));
        }
    }
    if depth != 0 {
        return Err(format!(
            "invalid label selector {input:?}: unbalanced parentheses"
        ));
    }
    out.push(&input[start..]);
    Ok(out)
}

fn parse_term(term: &str) -> Result<Requirement, String> {
    let req = |key: &str, operator, values: Vec<String>| -> Result<Requirement, String> {
        validate_key(key)?;
        for v in &values {
            validate_value(v)?;
        }
        Ok(Requirement {
            key: key.to_string(),
            operator,
            values,
        })
    };
    if let Some(key) = term.strip_prefix('!') {
        return req(key.trim(), Operator::DoesNotExist, vec![]);
    }
    if let Some((k, v)) = term.split_once("!=") {
        return req(k.trim(), Operator::NotEquals, vec![v.trim().to_string()]);
    }
    if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
        return req(k.trim(), Operator::Equals, vec![v.trim().to_string()]);
    }
    let words: Vec<&str> = term.splitn(2, char::is_whitespace).collect();
    if words.len() == 2 {
        let (key, rest) = (words[0], words[1].trim());
        let (op, list) = if let Some(l) = rest.strip_prefix("notin") {
            (Operator::NotIn, l)
        } else if let Some(l) = rest.strip_prefix("in") {
            (Operator::In, l)
        } else {
            return Err(format!(
                "unknown operator in {term:?} (want =, ==, !=, in, notin)"
            ));
        };
        let list = list.trim();
        let inner = list
            .strip_prefix('(')
            .and_then(|l| l.strip_suffix(')'))
            .ok_or_else(|| format!("{term:?}: values must be in parentheses"))?;
        let values: Vec<String> = inner.split(',').map(|v| v.trim().to_string()).collect();
        return req(key, op, values);
    }
    req(term, Operator::Exists, vec![])
}

fn validate_key(key: &str) -> Result<(), String> {
    let name = key.rsplit_once('/').map_or(key, |(_, n)| n);
    if name.is_empty() || name.len() > 63 || !is_label_chars(name) {
        return Err(format!("{key:?} is not a valid label key"));
    }
    Ok(())
}

fn validate_value(v: &str) -> Result<(), String> {
    if v.len() > 63 || (!v.is_empty() && !is_label_chars(v)) {
        return Err(format!("{v:?} is not a valid label value"));
    }
    Ok(())
}

fn is_label_chars(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_alphanumeric();
    s.starts_with(alnum)
        && s.ends_with(alnum)
        && s.chars().all(|c| alnum(c) || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn string_selectors() {
        let l = labels(&[("app", "web"), ("tier", "front")]);
        // (selector, matches)
        let cases = [
            ("app=web", true),
            ("app==web", true),
            ("app!=web", false),
            ("app!=db", true),
            ("missing!=x", true),
            ("app in (db, web)", true),
            ("app notin (web)", false),
            ("tier", true),
            ("!tier", false),
            ("!other", true),
            ("app=web,tier=back", false),
            ("app=web,tier in (front)", true),
        ];
        for (s, want) in cases {
            assert_eq!(LabelSelector::parse(s).unwrap().matches(&l), want, "{s}");
        }
    }

    #[test]
    fn invalid_selectors() {
        for s in [
            "app=we b",
            "app in web",
            "(app",
            "app,,x",
            "app foo (x)",
            "=x",
            "app=-x",
        ] {
            let err = LabelSelector::parse(s).unwrap_err();
            assert!(err.starts_with("invalid label selector"), "{s}: {err}");
        }
    }

    #[test]
    fn structured_selector() {
        let sel: LabelSelector = serde_json::from_str(
            r#"{"matchLabels":{"a":"1"},"matchExpressions":[{"key":"b","operator":"NotIn","values":["x"]}]}"#,
        )
        .unwrap();
        assert!(sel.matches(&labels(&[("a", "1")])));
        assert!(!sel.matches(&labels(&[("a", "1"), ("b", "x")])));
        assert!(LabelSelector::default().matches(&labels(&[])));
    }
}
