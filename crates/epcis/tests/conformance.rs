//! Conformance over the OpenEPCIS test resources (`testdata/openepcis`, Apache-2.0): every valid
//! JSON document passes, every invalid one is refused with a message.

use std::path::{Path, PathBuf};

/// The files of `folder` (under testdata/openepcis) ending in `.extension`, sorted.
fn files_with(folder: &str, extension: &str) -> Vec<PathBuf> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/openepcis")
        .join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&directory)
        .unwrap_or_else(|error| panic!("{}: {error}", directory.display()))
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|found| found == extension))
        .collect();
    files.sort();
    files
}

fn files(folder: &str) -> Vec<PathBuf> {
    files_with(folder, "json")
}

fn read(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("read"))
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Documents of the valid set that junkan refuses, in both syntaxes, each with the reason.
const REFUSED_VALID: [(&str, &str); 2] = [
    (
        "Combination_of_different_event",
        "https://id.example.com/8003/030013450007718765 is a GS1 Digital Link (any host may serve one) whose GRAI check \
         digit is wrong (should be 6); invalid GS1 check digits are refused",
    ),
    (
        "SensorData_with_combined_events",
        "https://id.example.com/8003/952012200000001004 is a GS1 Digital Link whose GRAI does not start with the \
         mandatory 0 digit of AI 8003",
    ),
];

fn refused_valid(path: &Path) -> bool {
    REFUSED_VALID
        .iter()
        .any(|(stem, _)| path.file_stem().is_some_and(|name| name == *stem))
}

#[test]
fn valid_json_documents_pass() {
    let mut failures = Vec::new();
    let paths: Vec<PathBuf> = [files("JSON/Capture/Documents"), files("JSON/Capture/Events")]
        .concat()
        .into_iter()
        .filter(|path| !refused_valid(path))
        .collect();
    for path in &paths {
        // Preparation validates the schema, the CBV rules and every GS1 identifier.
        let document = read(path);
        match junkan_epcis::prepare_document(&document, junkan_epcis::Syntax::Json) {
            Err(problems) => failures.push(format!("{}: {problems:?}", path.display())),
            // It hashes with the canonical identifiers it found while checking them: the same
            // hash as computed from the event alone.
            Ok(prepared) => {
                let namespaces = junkan_epcis::Namespaces::from_context(document.get("@context"));
                let events: Vec<&serde_json::Value> = match document["epcisBody"]["eventList"].as_array() {
                    Some(list) => list.iter().collect(),
                    None => vec![&document],
                };
                for (event, captured) in events.iter().zip(&prepared) {
                    let alone = junkan_epcis::event_hash(event, &namespaces);
                    if captured.event_hash != alone {
                        failures.push(format!(
                            "{}: prepared hash {} differs from {alone}",
                            path.display(),
                            captured.event_hash
                        ));
                    }
                }
            }
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

fn xml_files(folder: &str) -> Vec<PathBuf> {
    files_with(folder, "xml")
}

/// Reads an XML file and validates its JSON-LD form: every problem of both steps.
fn xml_problems(path: &Path) -> Vec<junkan_epcis::Problem> {
    let text = std::fs::read_to_string(path).expect("read");
    match junkan_epcis::document_from_xml(&text) {
        Ok(document) => junkan_epcis::prepare_document(&document, junkan_epcis::Syntax::Xml)
            .err()
            .unwrap_or_default(),
        Err(problems) => problems,
    }
}

/// Valid XML documents not used, each with the reason.
const SKIPPED_XML: [(&str, &str); 1] = [(
    "JumbledFieldsOrder.xml",
    "its elements are out of the EPCIS 2.0 XSD sequence (disposition before eventTime); the same corpus marks \
     ObjectEvent_with_wrong_element_order.xml invalid for exactly that, and junkan follows the XSD",
)];

#[test]
fn valid_xml_documents_pass() {
    let paths: Vec<PathBuf> = xml_files("XML/Capture/Documents")
        .into_iter()
        .filter(|path| !SKIPPED_XML.iter().any(|(name, _)| path.ends_with(name)) && !refused_valid(path))
        .collect();
    let failures: Vec<String> = paths
        .iter()
        .filter_map(|path| {
            let problems = xml_problems(path);
            (!problems.is_empty()).then(|| format!("{}: {problems:?}", path.display()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} valid XML documents refused:\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n")
    );
}

#[test]
fn invalid_xml_documents_are_refused() {
    let mut accepted = Vec::new();
    let mut report = Vec::new();
    for path in xml_files("XML/Capture/Invalid") {
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("").to_owned();
        match xml_problems(&path).first() {
            None => accepted.push(name),
            Some(first) => report.push(format!(
                "{name}: {} {}",
                first.path,
                first.message.chars().take(160).collect::<String>()
            )),
        }
    }
    assert!(accepted.is_empty(), "invalid XML documents accepted: {accepted:?}");
    expect_test::expect_file!["../testdata/expected/invalid-xml-problems.txt"].assert_eq(&(report.join("\n") + "\n"));
}

/// Twins that do not say the same thing, with the reason.
const NOT_TWINS: [(&str, &str); 1] = [(
    "ObjectEvent_with_comment.xml",
    "the XML carries XML comments (not data), the JSON an rdfs:comment property (data), so their events differ in meaning",
)];

/// The same events in XML and JSON get the same event hash: the XML reader and the JSON form
/// agree in meaning.
#[test]
fn xml_and_json_twins_hash_alike() {
    let mut compared = 0;
    let mut differences = Vec::new();
    for xml_path in xml_files("XML/Capture/Documents") {
        if SKIPPED_XML
            .iter()
            .chain(&NOT_TWINS)
            .any(|(name, _)| xml_path.ends_with(name))
        {
            continue;
        }
        let json_path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/openepcis/JSON/Capture/Documents")
            .join(xml_path.with_extension("json").file_name().expect("name"));
        if !json_path.exists() {
            continue;
        }
        let from_xml =
            junkan_epcis::document_from_xml(&std::fs::read_to_string(&xml_path).expect("read")).expect("valid XML");
        let from_json = read(&json_path);
        let hashes = |document: &serde_json::Value| -> Vec<String> {
            let namespaces = junkan_epcis::Namespaces::from_context(document.get("@context"));
            document["epcisBody"]["eventList"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|event| junkan_epcis::event_hash(event, &namespaces))
                .collect()
        };
        compared += 1;
        let (xml_hashes, json_hashes) = (hashes(&from_xml), hashes(&from_json));
        if xml_hashes != json_hashes {
            let index = xml_hashes
                .iter()
                .zip(&json_hashes)
                .position(|(xml, json)| xml != json)
                .unwrap_or(0);
            let namespaces = junkan_epcis::Namespaces::from_context(from_xml.get("@context"));
            let json_namespaces = junkan_epcis::Namespaces::from_context(from_json.get("@context"));
            let xml_event = junkan_epcis::pre_hash(&from_xml["epcisBody"]["eventList"][index], &namespaces);
            let json_event = junkan_epcis::pre_hash(&from_json["epcisBody"]["eventList"][index], &json_namespaces);
            differences.push(format!(
                "{}#{index}\n  xml  {xml_event}\n  json {json_event}",
                xml_path.display()
            ));
        }
    }
    assert!(compared > 20, "only {compared} twins");
    assert!(
        differences.is_empty(),
        "{} of {compared} twins differ:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

#[test]
fn refused_valid_documents_are_refused_for_the_stated_reason() {
    for (stem, _) in REFUSED_VALID {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("testdata/openepcis/JSON/Capture/Documents/{stem}.json"));
        let problems = junkan_epcis::prepare_document(&read(&path), junkan_epcis::Syntax::Json).expect_err("refused");
        assert!(
            problems.iter().all(|problem| problem.message.contains("(8003) GRAI")),
            "{stem}: {problems:?}"
        );
    }
}

/// Every valid JSON document, prepared, written as an XML query answer and read back, gives
/// events with the same CBV event hashes: the XML answers lose nothing that the hash covers.
#[test]
fn xml_answers_read_back_to_the_same_events() {
    use junkan_epcis::output::{query_document_xml, CbvFormat, XmlEvent};
    let mut compared = 0;
    let mut differences = Vec::new();
    let paths: Vec<PathBuf> = [files("JSON/Capture/Documents"), files("JSON/Capture/Events")]
        .concat()
        .into_iter()
        .filter(|path| !refused_valid(path))
        .collect();
    for path in &paths {
        let prepared = junkan_epcis::prepare_document(&read(path), junkan_epcis::Syntax::Json).expect("valid");
        for format in [CbvFormat::Urn, CbvFormat::WebUri] {
            let events: Vec<XmlEvent> = prepared
                .iter()
                .map(|event| XmlEvent {
                    body: &event.body,
                    context: &event.context,
                })
                .collect();
            let xml = query_document_xml("SimpleEventQuery", "2026-11-22T00:00:00Z", &events, format);
            let again = match junkan_epcis::document_from_xml(&xml)
                .and_then(|document| junkan_epcis::prepare_document(&document, junkan_epcis::Syntax::Xml))
            {
                Ok(again) => again,
                Err(problems) => {
                    differences.push(format!("{} ({format:?}): {problems:?}", path.display()));
                    continue;
                }
            };
            compared += 1;
            let before: Vec<&str> = prepared.iter().map(|event| event.event_hash.as_str()).collect();
            let after: Vec<&str> = again.iter().map(|event| event.event_hash.as_str()).collect();
            if before != after {
                differences.push(format!("{} ({format:?}): hashes differ", path.display()));
            }
        }
    }
    assert!(compared > 40, "only {compared} documents compared");
    assert!(
        differences.is_empty(),
        "{} of {compared} differ:\n{}",
        differences.len(),
        differences.join("\n\n")
    );
}

/// EPCs written back in the other form keep the event hash (the hash compares canonical forms).
#[test]
fn translated_identifiers_keep_the_event_hash() {
    use junkan_epcis::output::{company_prefixes_in, translate_identifiers, EpcFormat};
    let mut translated = 0;
    for path in files("JSON/Capture/Documents")
        .iter()
        .filter(|path| !refused_valid(path))
    {
        let prepared = junkan_epcis::prepare_document(&read(path), junkan_epcis::Syntax::Json).expect("valid");
        let mut prefixes = Vec::new();
        prepared
            .iter()
            .for_each(|event| company_prefixes_in(&event.body, &mut prefixes));
        for event in &prepared {
            for format in [EpcFormat::DigitalLink, EpcFormat::EpcUrn] {
                let mut body = event.body.clone();
                translate_identifiers(&mut body, format, &prefixes);
                translated += usize::from(body != event.body);
                // The hash the repository computes on capture of the translated event (the
                // documents list some EPCs twice, in both forms, so the translation itself may
                // not pass the schema's uniqueness rule; the hash is what must hold).
                let mut namespaces = junkan_epcis::Namespaces::from_context(Some(&event.context));
                namespaces.add_nested_contexts(&body);
                assert_eq!(
                    junkan_epcis::event_hash(&body, &namespaces),
                    event.event_hash,
                    "{} {format:?}",
                    path.display()
                );
            }
        }
    }
    assert!(translated > 50, "only {translated} events changed form");
}
