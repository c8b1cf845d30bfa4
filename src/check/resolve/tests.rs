use super::*;

#[test]
fn source_forms() {
    let p = |s: &str| parse_source(s, "dflt");
    assert_eq!(
        p("pod/a/b").unwrap(),
        SourceSpec::Pod {
            ns: "a".into(),
            name: "b".into()
        }
    );
    assert_eq!(
        p("a/b").unwrap(),
        SourceSpec::Pod {
            ns: "a".into(),
            name: "b".into()
        }
    );
    assert_eq!(
        p("pod/b").unwrap(),
        SourceSpec::Pod {
            ns: "dflt".into(),
            name: "b".into()
        }
    );
    assert_eq!(
        p("deploy/a/b").unwrap(),
        SourceSpec::Workload {
            kind: "Deployment",
            ns: "a".into(),
            name: "b".into()
        }
    );
    assert_eq!(
        p("sa/a/b").unwrap(),
        SourceSpec::ServiceAccount {
            ns: "a".into(),
            name: "b".into()
        }
    );
    assert_eq!(p("ingress").unwrap(), SourceSpec::Ingress(None));
    assert_eq!(
        p("ingress/a/b").unwrap(),
        SourceSpec::Ingress(Some(("a".into(), "b".into())))
    );
    assert_eq!(p("external").unwrap(), SourceSpec::External);
    for bad in ["", "foo", "svc/a/b/c", "pod/a/b/c", "pod//b", "cm/a/b/c"] {
        let e = p(bad).unwrap_err().to_string();
        assert!(!e.contains('\n'), "{bad}: {e}");
    }
}

#[test]
fn dest_forms() {
    let p = |s: &str| parse_dest(s, "dflt");
    assert_eq!(
        p("svc/a/b:80").unwrap(),
        DestSpec::Service {
            ns: "a".into(),
            name: "b".into(),
            port: Some(80)
        }
    );
    assert_eq!(
        p("pod/a/b").unwrap(),
        DestSpec::Pod {
            ns: "a".into(),
            name: "b".into(),
            port: None
        }
    );
    assert_eq!(
        p("Reviews.default.svc.cluster.local:9080").unwrap(),
        DestSpec::Host {
            host: "reviews.default.svc.cluster.local".into(),
            port: Some(9080)
        }
    );
    for bad in [
        "svc/a/b:x",
        "svc/a/b:0",
        "svc/a/b:70000",
        "reviews",
        "x/a/b",
    ] {
        assert!(p(bad).is_err(), "{bad}");
    }
}
