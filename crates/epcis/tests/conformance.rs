//! Conformance over the OpenEPCIS test resources (`testdata/openepcis`, Apache-2.0): every valid
//! JSON document passes, every invalid one is refused with a message.

use std::path::{Path, PathBuf};

fn files(folder: &str) -> Vec<PathBuf> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/openepcis")
        .join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&directory)
        .unwrap_or_else(|error| panic!("{}: {error}", directory.display()))
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
        .collect();
    files.sort();
    files
}

fn read(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("read"))
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn valid_json_documents_pass() {
    let mut failures = Vec::new();
    let paths: Vec<PathBuf> = [files("JSON/Capture/Documents"), files("JSON/Capture/Events")].concat();
    for path in &paths {
        let problems = junkan_epcis::validate_document(&read(path));
        if !problems.is_empty() {
            failures.push(format!("{}: {problems:?}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} valid documents refused:\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n")
    );
}

#[test]
fn invalid_json_documents_are_refused() {
    let mut accepted = Vec::new();
    let mut report = Vec::new();
    let paths = files("JSON/Capture/Invalid");
    for path in &paths {
        let problems = junkan_epcis::validate_document(&read(path));
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("");
        match problems.first() {
            None => accepted.push(name.to_owned()),
            Some(first) => report.push(format!(
                "{name}: {} {}",
                first.path,
                first.message.chars().take(160).collect::<String>()
            )),
        }
    }
    assert!(
        accepted.is_empty(),
        "{} of {} invalid documents accepted:\n{}",
        accepted.len(),
        paths.len(),
        accepted.join("\n")
    );
    // The first problem of each, so that a change in what is reported is seen in review.
    expect_test::expect_file!["../testdata/expected/invalid-json-problems.txt"].assert_eq(&(report.join("\n") + "\n"));
}
