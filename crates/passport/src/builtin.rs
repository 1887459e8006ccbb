//! The profiles every node ships (`profiles/*.json`), registered by `junkan serve` and the demo
//! when missing. Each has a complete example in `profiles/examples/`, which the tests check
//! against the profile (and, for batteries, against the Battery Pass v1.2 schemas).

macro_rules! shipped {
    ($($code:literal),* $(,)?) => {
        &[$(($code, include_str!(concat!("../profiles/", $code, ".json")), include_str!(concat!("../profiles/examples/", $code, ".json")))),*]
    };
}

/// Each shipped profile: its code, its document and a complete example of its data.
pub const PROFILES: &[(&str, &str, &str)] = shipped!(
    "battery",
    "plastics",
    "home_appliance",
    "office_equipment",
    "textile",
    "construction_material",
    "metal",
    "automobile_part",
    "vehicle",
);

/// The shipped profile documents, parsed.
pub fn documents() -> Vec<serde_json::Value> {
    PROFILES
        .iter()
        .map(|(code, document, _)| {
            serde_json::from_str(document).unwrap_or_else(|error| panic!("shipped profile {code} is JSON: {error}"))
        })
        .collect()
}

/// The example data of a shipped profile.
pub fn example(code: &str) -> Option<serde_json::Value> {
    PROFILES
        .iter()
        .find(|(candidate, _, _)| *candidate == code)
        .map(|(_, _, example)| serde_json::from_str(example).expect("shipped examples are JSON"))
}
