//! Table tests of the rule table: each rule at the versions around its boundaries.

use super::*;

fn rules(istiod: &str, ztunnel: Option<&str>, dry_flag: bool) -> Rules {
    let i = Running::detect(Some((istiod, "--istio-version")), None);
    let z = Running::detect(ztunnel.map(|z| (z, "--ztunnel-version")), Some(&i));
    Rules::new(i, z, dry_flag, false)
}

#[test]
fn dry_run_by_version_and_skew() {
    use DryRunAtZtunnel::*;
    let cases = [
        ("1.24.3", None, false, Enforced, Row::DryRunEnforced),
        ("1.25.1", None, true, Enforced, Row::DryRunEnforced),
        ("1.25.2", None, true, NotSent, Row::DryRunNotSent),
        ("1.28.3", None, true, NotSent, Row::DryRunNotSent),
        ("1.29.0", None, false, NotSent, Row::DryRunFlagOff),
        ("1.29.0", None, true, Logged, Row::DryRunLogged),
        ("1.29.0", Some("1.28.3"), true, Enforced, Row::DryRunSkew),
        ("1.29.0", Some("1.28.3"), false, NotSent, Row::DryRunFlagOff),
        ("1.31.0", Some("1.29.0"), true, Logged, Row::DryRunLogged),
    ];
    for (istiod, zt, flag, want, row) in cases {
        let r = rules(istiod, zt, flag);
        assert_eq!(
            r.dry_run_at_ztunnel(),
            (want, row),
            "{istiod} {zt:?} {flag}"
        );
        assert_eq!(r.applied(), vec![row]);
    }
}

#[test]
fn ingress_label_reading_by_version() {
    use IngressLabelReading::*;
    for (ver, want) in [
        ("1.24.6", ServiceExactTrue),
        ("1.25.0", FallbackTrueAnyCase),
        ("1.29.2", FallbackTrueAnyCase),
        ("1.30.0", FallbackGoBool),
    ] {
        assert_eq!(
            rules(ver, None, false).ingress_label_reading(),
            want,
            "{ver}"
        );
    }
}

#[test]
fn boundaries_of_the_other_rules() {
    assert!(!rules("1.24.9", None, false).gateway_class_ref().0);
    assert!(rules("1.25.0", None, false).gateway_class_ref().0);
    assert!(!rules("1.30.3", None, false).waypoint_canary().0);
    assert!(rules("1.31.0", None, false).waypoint_canary().0);
    assert!(rules("1.31.0-alpha.0", None, false).waypoint_canary().0);
    let layered = |ver: &str, flag| {
        let i = Running::detect(Some((ver, "flag")), None);
        Rules::new(i.clone(), i, false, flag).layered_waypoint_policies()
    };
    assert_eq!(
        rules("1.24.9", None, false).service_accounts_unknown(),
        Some(Row::ServiceAccountsUnknown)
    );
    assert_eq!(
        rules("1.25.0", None, false).service_accounts_unknown(),
        None
    );
    assert!(!layered("1.24.9", true) && layered("1.25.0", true) && !layered("1.30.0", false));
    for (ver, eligible) in [
        ("1.26.8", false),
        ("1.27.0", true),
        ("1.30.3", true),
        ("1.31.0", false),
    ] {
        let r = rules(ver, None, false);
        assert_eq!(r.host_network_eligible().is_some(), eligible, "{ver}");
    }
}

#[test]
fn envoy_regex_escaping_by_release_and_backport() {
    // (istiod, serviceAccounts unescaped, namespaces and suffix principals unescaped)
    let cases = [
        ("1.24.0", true, true),
        ("1.27.8", true, true),
        ("1.27.9", false, true),
        ("1.28.5", true, true),
        ("1.28.6", false, true),
        ("1.28.7", false, false),
        ("1.29.0", true, true),
        ("1.29.1", true, true),
        ("1.29.2", false, true),
        ("1.29.3", false, false),
        ("1.30.0", false, false),
        ("1.31.0", false, false),
    ];
    for (ver, sa, ns) in cases {
        let r = rules(ver, None, false);
        let u = r.envoy_unescaped();
        assert_eq!(
            (u.service_accounts, u.namespaces_principals),
            (sa, ns),
            "{ver}"
        );
        assert!(r.applied().is_empty(), "{ver}: asking records nothing");
        let all = Unescaped {
            service_accounts: true,
            namespaces_principals: true,
        };
        assert_eq!(
            r.envoy_regex_rows(all).len(),
            usize::from(sa) + usize::from(ns)
        );
    }
}

#[test]
fn supported_skew_is_ztunnel_at_istiods_minor_or_one_behind() {
    let cases = [
        ("1.28.3", Some("1.28.0"), false),
        ("1.28.0", Some("1.28.3"), false),
        ("1.29.0", Some("1.28.3"), false),
        ("1.30.0", Some("1.28.3"), true),
        ("1.28.3", Some("1.29.0"), true),
        // ztunnel unknown: assumed istiod's, nothing to say.
        ("1.30.0", None, false),
    ];
    for (istiod, zt, unsupported) in cases {
        let r = rules(istiod, zt, false);
        assert_eq!(
            r.unsupported_skew().is_some(),
            unsupported,
            "{istiod} {zt:?}"
        );
        assert_eq!(r.applied().is_empty(), !unsupported);
    }
}

#[test]
fn revision_filter_from_1_25_4_and_1_26_3() {
    for (ver, filters) in [
        ("1.24.6", false),
        ("1.25.3", false),
        ("1.25.4", true),
        ("1.25.5", true),
        ("1.26.0", false),
        ("1.26.2", false),
        ("1.26.3", true),
        ("1.27.0", true),
        ("1.31.0", true),
    ] {
        let r = rules(ver, None, false).with_revision(Some("canary".into()));
        assert_eq!(r.other_revision("canary"), None, "{ver}");
        assert!(r.applied().is_empty());
        let (filtered, row) = r.other_revision("default").unwrap();
        assert_eq!(filtered, filters, "{ver}");
        assert_eq!(r.applied(), vec![row]);
    }
    // ztunnel's revision unknown: nothing is said.
    assert_eq!(rules("1.28.0", None, false).other_revision("x"), None);
}

#[test]
fn several_custom_providers_from_1_30_with_the_flag() {
    for (ver, flag, allowed, row) in [
        ("1.29.6", true, false, Row::CustomProvidersOne),
        ("1.30.0", false, false, Row::CustomProvidersFlagOff),
        ("1.30.0", true, true, Row::CustomProvidersMany),
    ] {
        let r = rules(ver, None, false).with_multiple_custom_providers(flag);
        assert_eq!(r.several_custom_providers(), (allowed, row), "{ver} {flag}");
    }
}

#[test]
fn nothing_applied_until_asked_and_rows_are_named() {
    let r = rules("1.28.0", None, false);
    assert!(r.applied().is_empty());
    r.custom_audit_not_sent();
    assert_eq!(r.applied(), vec![Row::CustomAuditNotSent]);
    for row in TABLE {
        assert!(!row.rule.is_empty() && !row.range.is_empty() && !row.source.is_empty());
    }
}

#[test]
fn labelled_for_another_revision_and_the_rows_asked_by_findings() {
    let r = rules("1.26.3", None, false).with_revision(Some("canary".into()));
    assert_eq!(r.labelled_for_other(None), None);
    assert_eq!(r.labelled_for_other(Some("canary")), None);
    assert_eq!(
        r.labelled_for_other(Some("default")),
        Some((
            "default".into(),
            "canary".into(),
            true,
            Row::RevisionFiltered
        ))
    );
    let old = rules("1.26.2", None, false).with_revision(Some("canary".into()));
    assert!(!old.filters_revisions() && r.filters_revisions());
    assert!(
        old.applied().is_empty(),
        "asking whether it filters records nothing"
    );
    assert_eq!(old.waypoint_revision(), Row::WaypointRevision);
    assert_eq!(
        old.implicit_allow_primary_only(),
        Row::CanaryImplicitAllowPrimary
    );
    assert_eq!(
        old.applied(),
        vec![Row::CanaryImplicitAllowPrimary, Row::WaypointRevision]
    );
}
