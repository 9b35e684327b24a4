//! Properties of fingerprints and comparison over generated snapshots.

use std::collections::BTreeSet;

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use stance::ScanReport;
use stance::assess::Analysis;
use stance::diff::diff;
use stance::inventory::*;
use stance::mutes::MuteReport;
use stance::rules::{Evidence, Finding, RULES, fingerprint};
use stance::snapshot::Snapshot;

fn inventory() -> Inventory {
    let now = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).single().unwrap();
    Inventory {
        account: AccountIdentity {
            account_id: "123456789012".into(),
            partition: "aws".into(),
            caller_arn: "arn:aws:iam::123456789012:user/a".into(),
        },
        scan: ScanMetadata {
            tool_version: "t".into(),
            started_at: now,
            finished_at: now,
            as_of: now,
            regions: Vec::new(),
            requests: RequestStats::default(),
        },
        ..Inventory::default()
    }
}

/// Finding `i` of a pool; `score_shift` changes its score (a "changed" finding).
fn finding(i: usize, score_shift: u8) -> Finding {
    let rule = RULES[i % RULES.len()];
    let resource = format!("arn:aws:iam::123456789012:role/r{}", i / 3);
    Finding {
        rule_id: rule.meta.id.into(),
        category: rule.category,
        severity: rule.severity(),
        score: (i % 90) as u8 + score_shift,
        factors: Vec::new(),
        fingerprint: fingerprint(rule.meta.id, &resource, &format!("#{}", i % 3)),
        resource_arn: resource,
        region: "global".into(),
        title: format!("finding {i}"),
        evidence: Evidence { summary: format!("evidence {i}"), ..Evidence::default() },
        remediation: String::new().into(),
        references: Vec::new(),
        path: Vec::new(),
        muted: None,
    }
}

fn snapshot(findings: &BTreeSet<usize>, shifted: &BTreeSet<usize>) -> Snapshot {
    let findings: Vec<Finding> = findings.iter().map(|&i| finding(i, u8::from(shifted.contains(&i)))).collect();
    let posture = stance::score::posture(&findings);
    Snapshot::new(
        ScanReport { inventory: inventory(), analysis: Analysis { findings, posture, ..Analysis::default() } },
        MuteReport::default(),
    )
}

fn fingerprints(list: &[Finding]) -> BTreeSet<String> {
    list.iter().map(|f| f.fingerprint.clone()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn fingerprints_depend_on_rule_resource_and_discriminator_only(rule in "[a-z-]{1,20}", resource in "arn:aws:[a-z0-9:/-]{1,40}", d in "[A-Za-z0-9#:-]{0,12}") {
        let a = fingerprint(&rule, &resource, &d);
        prop_assert_eq!(&a, &fingerprint(&rule, &resource, &d));
        prop_assert_eq!(a.len(), 32);
        prop_assert_ne!(&a, &fingerprint(&rule, &resource, &format!("{d}x")));
        prop_assert_ne!(&a, &fingerprint(&format!("{rule}x"), &resource, &d));
    }

    #[test]
    fn a_snapshot_compared_with_itself_is_empty(pool in prop::collection::btree_set(0usize..200, 0..60)) {
        let s = snapshot(&pool, &BTreeSet::new());
        let d = diff(&s, &s);
        prop_assert!(d.is_empty());
        prop_assert_eq!(d.unchanged, pool.len());
        prop_assert_eq!(d.posture_delta, 0);
    }

    #[test]
    fn comparison_is_antisymmetric_and_accounts_for_everything(
        old in prop::collection::btree_set(0usize..200, 0..60),
        new in prop::collection::btree_set(0usize..200, 0..60),
        shifted in prop::collection::btree_set(0usize..200, 0..20),
    ) {
        let (a, b) = (snapshot(&old, &BTreeSet::new()), snapshot(&new, &shifted));
        let forward = diff(&a, &b);
        let backward = diff(&b, &a);
        prop_assert_eq!(fingerprints(&forward.new_findings), fingerprints(&backward.resolved_findings));
        prop_assert_eq!(fingerprints(&forward.resolved_findings), fingerprints(&backward.new_findings));
        prop_assert_eq!(forward.changed_findings.len(), backward.changed_findings.len());
        prop_assert_eq!(forward.unchanged, backward.unchanged);
        prop_assert_eq!(forward.posture_delta, -backward.posture_delta);
        // Every finding of the new snapshot is new, changed or unchanged; every old one resolved, changed or unchanged.
        prop_assert_eq!(forward.new_findings.len() + forward.changed_findings.len() + forward.unchanged, new.len());
        prop_assert_eq!(forward.resolved_findings.len() + forward.changed_findings.len() + forward.unchanged, old.len());
        let expected_changed = old.intersection(&new).filter(|i| shifted.contains(i)).count();
        prop_assert_eq!(forward.changed_findings.len(), expected_changed);
    }
}
