//! Any text, as a policy document: decoding, parsing, and the engine over it must never panic.
//!
//!     cargo +nightly fuzz run policy_parser -- -max_total_time=600
#![no_main]

use libfuzzer_sys::fuzz_target;
use stance::analyze::policy::{Expander, Permissions, Policy, PolicySource, admissions, catalogue, principals};
use stance::inventory::PolicyDocument;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let document = PolicyDocument::parse(text);
    let policy = Policy::from_document(&document);
    let c = catalogue();
    let mut expander = Expander::new(c);
    let mut permissions = Permissions::new(c);
    let source = PolicySource { kind: "inline", name: "fuzz".into(), arn: None, attached_to: "arn:aws:iam::123456789012:role/fuzz".into() };
    permissions.add_policy(&mut expander, source, &policy);
    let _ = permissions.unconstrained(c);
    let _ = admissions(&policy, &["sts:AssumeRole", "lambda:InvokeFunction"], principals::PUBLIC_RESTRICTING_KEYS);
    for statement in &policy.statements {
        let _ = statement.resources.is_all();
        let _ = statement.label();
    }
});
