//! The fuzz targets' inputs, replayed on every test run: the named seeds of `fuzz/corpus/TARGET/` and every
//! crash a fuzzing campaign found, kept in `fuzz/regressions/TARGET/` (copy `fuzz/artifacts/TARGET/crash-*`
//! there after fixing it). Each goes through the same entry point as `cargo fuzz run TARGET`; a panic fails.

use std::path::Path;

use stance::hostile_input::TARGETS;

fn inputs(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<_> = entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

#[test]
fn seeds_and_kept_crashes_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for (target, entry) in TARGETS {
        // The named seeds are committed; libFuzzer's hash-named discoveries are not (see .gitignore).
        let seeds = inputs(&root.join("corpus").join(target));
        let named = seeds.into_iter().filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().contains('.')));
        for input in named.chain(inputs(&root.join("regressions").join(target))) {
            let data = std::fs::read(&input).unwrap();
            let outcome = std::panic::catch_unwind(|| entry(&data));
            assert!(outcome.is_ok(), "{target} panicked on {}", input.display());
            replayed += 1;
        }
    }
    assert!(replayed >= TARGETS.len(), "every target has at least a seed ({replayed} inputs)");
}

#[test]
fn hostile_inputs_from_the_shapes_aws_and_users_produce() {
    // Hand-picked: truncations, wrong types, deep nesting, huge numbers, odd encodings.
    let cases: &[&[u8]] = &[
        b"",
        b"{",
        b"%7B%22Statement%22%3A",
        br#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"a":[null,1,{}]}}}]}"#,
        br#"{"format":"stance-snapshot","schema_version":18446744073709551616}"#,
        br#"{"format":"stance-snapshot","schema_version":0,"findings":[{"score":300}]}"#,
        "[[mute]]\nrule = \"x\"\nreason = \"é\"\nexpires = 2027-02-30\n".as_bytes(),
        "[[mute]]\nrule = \u{7f}\n".as_bytes(),
        b"user,arn\n\"unterminated,x\n",
        b"user,arn,password_enabled\nroot,arn:aws:iam::1:root,maybe\n",
        &[0xff, 0xfe, 0x00, 0x28, 0xb5, 0x2f, 0xfd],
    ];
    let deep = "[".repeat(10_000);
    for (target, entry) in TARGETS {
        for case in cases.iter().copied().chain([deep.as_bytes()]) {
            let outcome = std::panic::catch_unwind(|| entry(case));
            assert!(outcome.is_ok(), "{target} panicked on {:?}", String::from_utf8_lossy(case));
        }
    }
}
