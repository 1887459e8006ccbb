//! The shipped profiles: each compiles, its example is valid and fills every field, each access
//! level sees exactly its fields, and the battery example exports to data valid against every
//! Battery Pass v1.2 aspect schema.

use junkan_model::access::AccessLevel;
use junkan_passport::builtin::{documents, example, PROFILES};
use junkan_passport::export::{battery_pass, BATTERY_PASS_ASPECTS};
use junkan_passport::profile::parse_pointer;
use junkan_passport::Profile;
use serde_json::Value;

const LEVELS: [AccessLevel; 4] = [
    AccessLevel::Public,
    AccessLevel::LegitimateInterest,
    AccessLevel::Authority,
    AccessLevel::Owner,
];

/// Every location of a leaf value in `value`, as pointer segments.
fn leaves(value: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match value {
        Value::Object(map) => map.iter().for_each(|(key, item)| {
            path.push(key.clone());
            leaves(item, path, out);
            path.pop();
        }),
        Value::Array(items) => items.iter().enumerate().for_each(|(index, item)| {
            path.push(index.to_string());
            leaves(item, path, out);
            path.pop();
        }),
        _ => out.push(path.clone()),
    }
}

fn at<'a>(value: &'a Value, segments: &[String]) -> Option<&'a Value> {
    segments.iter().try_fold(value, |value, segment| match value {
        Value::Object(map) => map.get(segment),
        Value::Array(items) => segment.parse::<usize>().ok().and_then(|index| items.get(index)),
        _ => None,
    })
}

#[test]
fn every_shipped_profile_compiles_and_its_example_is_valid() {
    for document in documents() {
        let compiled = Profile::compile(&document).unwrap_or_else(|violations| panic!("{violations:#?}"));
        let code = &compiled.profile.code;
        let data = example(code).expect("every shipped profile has an example");
        assert_eq!(compiled.check_data(&data), [], "example of {code}");
        for field in &compiled.profile.fields {
            let segments = parse_pointer(&field.pointer).expect("pointer");
            let mut found = Vec::new();
            let mut all = Vec::new();
            leaves(&data, &mut Vec::new(), &mut all);
            for leaf in all {
                let matches = leaf.len() >= segments.len()
                    && segments.iter().zip(&leaf).all(|(pattern, segment)| {
                        pattern == segment || (pattern == "*" && segment.parse::<usize>().is_ok())
                    });
                if matches {
                    found.push(leaf);
                }
            }
            assert!(
                !found.is_empty(),
                "{code}: the example holds no value for {}",
                field.pointer
            );
        }
    }
    assert_eq!(PROFILES.len(), 9);
}

/// For each level, a leaf is in the view exactly when the field governing it allows that level.
#[test]
fn each_level_sees_exactly_its_fields_in_every_shipped_example() {
    for document in documents() {
        let compiled = Profile::compile(&document).expect("compiles");
        let code = compiled.profile.code.clone();
        let data = example(&code).expect("example");
        let mut all = Vec::new();
        leaves(&data, &mut Vec::new(), &mut all);
        for level in LEVELS {
            let view = compiled.view(&data, level);
            let mut seen = 0;
            for leaf in &all {
                let borrowed: Vec<&str> = leaf.iter().map(String::as_str).collect();
                let required = compiled
                    .field_at(&borrowed)
                    .map_or(compiled.profile.default_access, |field| field.access);
                let visible = at(&view.data, leaf).is_some();
                // Array items shift when earlier ones are withheld; every shipped profile gives
                // whole array items one level, so positions are stable.
                assert_eq!(visible, required <= level, "{code} at {level:?}: /{}", leaf.join("/"));
                seen += usize::from(visible);
            }
            if level == AccessLevel::Owner {
                assert_eq!(view.data, data, "{code}: the owner sees everything");
                assert!(view.withheld.is_empty());
            } else if level == AccessLevel::Public {
                assert!(
                    seen < all.len(),
                    "{code}: every profile restricts something from the public"
                );
            }
        }
    }
}

#[test]
fn the_battery_export_is_valid_against_every_battery_pass_schema() {
    let data = example("battery").expect("battery example");
    let exported = battery_pass(&data);
    for (aspect, file) in BATTERY_PASS_ASPECTS {
        let path = format!("{}/../../testdata/batterypass/{file}", env!("CARGO_MANIFEST_DIR"));
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("schema file")).expect("JSON");
        let validator = jsonschema::options()
            .build(&schema)
            .expect("Battery Pass schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(&exported[aspect])
            .map(|error| format!("{}: {error}", error.instance_path().as_str()))
            .collect();
        assert!(errors.is_empty(), "{aspect}: {errors:#?}");
    }
}
