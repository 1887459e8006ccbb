//! Field scopes (項目の範囲) of grants and access requests: which fields of a record a grant
//! covers, and the one projection every read under such a grant goes through.
//!
//! A field is named as a top-level member (`"stateOfHealth"`) or as a JSON Pointer (RFC 6901,
//! `"/performance/capacity"`); both are kept in the pointer form (`"/stateOfHealth"`), so that
//! two spellings of one field are one field and a narrowing can be compared member by member.
//! The fields are those of a passport's `data` (after its access level has filtered it: the
//! Battery Pass access groups stay levels) and of an EPCIS event's body. A pointer selects members
//! of objects; it does not reach into arrays (name the array itself to share it), so a projection
//! never invents `null` placeholders for elements left out.

use serde_json::{Map, Value};

use crate::access::RecordKind;
use crate::validation::Violations;

/// The most fields one grant or request may name.
pub const MAX_FIELDS: usize = 100;

/// The longest field name or pointer accepted.
const MAX_FIELD_LENGTH: usize = 512;

/// Whether records of `kind` may be shared field by field: passports (fields of their data) and
/// EPCIS events (members of the event). Other kinds are typed documents whose members a
/// standard requires (a PACT footprint without its `pcf` is no footprint), shared whole.
pub fn has_fields(kind: RecordKind) -> bool {
    matches!(kind, RecordKind::Passport | RecordKind::Event)
}

/// The pointer form of one field: a pointer is kept (its escapes checked), a member name becomes
/// the pointer to that top-level member.
pub fn normalize_field(field: &str) -> Result<String, String> {
    if field.is_empty() || field.len() > MAX_FIELD_LENGTH || field.chars().any(char::is_control) {
        return Err(format!(
            "a field is a member name or a JSON Pointer of 1-{MAX_FIELD_LENGTH} characters without control characters"
        ));
    }
    let Some(pointer) = field.strip_prefix('/') else {
        return Ok(format!("/{}", field.replace('~', "~0").replace('/', "~1")));
    };
    for segment in pointer.split('/') {
        if segment.is_empty() {
            return Err(format!("{field:?} has an empty member name"));
        }
        let mut chars = segment.chars();
        while let Some(c) = chars.next() {
            if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
                return Err(format!(
                    "{field:?} is not a JSON Pointer: '~' must be followed by 0 or 1"
                ));
            }
        }
    }
    Ok(field.to_owned())
}

/// Checks the fields of a grant or request for records of `kind` (member `path` of the body) and
/// records every violation.
pub fn check_fields(violations: &mut Violations, path: &str, kind: RecordKind, fields: Option<&[String]>) {
    let Some(fields) = fields else { return };
    if !has_fields(kind) {
        violations.push(
            path,
            format!(
                "field scopes apply to passports (fields of their data) and events (members of the event); {} records are shared whole",
                kind.as_str()
            ),
        );
        return;
    }
    if fields.is_empty() || fields.len() > MAX_FIELDS {
        violations.push(
            path,
            format!("must name 1 to {MAX_FIELDS} fields, or be left out to cover every field"),
        );
    }
    let mut seen: Vec<String> = Vec::with_capacity(fields.len());
    for (index, field) in fields.iter().enumerate() {
        match normalize_field(field) {
            Ok(pointer) if seen.contains(&pointer) => {
                violations.push(format!("{path}/{index}"), format!("{field:?} is named twice"))
            }
            Ok(pointer) => seen.push(pointer),
            Err(message) => violations.push(format!("{path}/{index}"), message),
        }
    }
}

/// The pointer form of `fields`, sorted: what is stored. Fields that do not normalize are left
/// out (validation has refused them before anything is stored).
pub fn normalized_fields(fields: &[String]) -> Vec<String> {
    let mut pointers: Vec<String> = fields.iter().filter_map(|field| normalize_field(field).ok()).collect();
    pointers.sort_unstable();
    pointers.dedup();
    pointers
}

/// Whether `field` (pointer form) is one of `scope` or lies under one of them: what a narrowing
/// may keep.
pub fn within(field: &str, scope: &[String]) -> bool {
    scope.iter().any(|granted| {
        field == granted
            || field
                .strip_prefix(granted.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// The members of `value` that `fields` (pointer form) select, at the same places, and the
/// pointers of the top-level members left out entirely. A pointer to nothing selects nothing.
/// A value that is not an object is returned unchanged when the scope names it whole and empty
/// otherwise (there are no members to choose from).
pub fn project(value: &Value, fields: &[String]) -> (Value, Vec<String>) {
    let mut projected = Value::Object(Map::new());
    for field in fields {
        let segments: Vec<String> = field
            .split('/')
            .skip(1)
            .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
            .collect();
        copy_member(value, &mut projected, &segments);
    }
    let withheld = match (value, &projected) {
        (Value::Object(members), Value::Object(kept)) => members
            .keys()
            .filter(|name| !kept.contains_key(*name))
            .map(|name| format!("/{}", name.replace('~', "~0").replace('/', "~1")))
            .collect(),
        _ => Vec::new(),
    };
    (projected, withheld)
}

/// Copies the member of `source` at `segments` into `target`, creating the objects on the way.
fn copy_member(source: &Value, target: &mut Value, segments: &[String]) {
    let Some((name, rest)) = segments.split_first() else {
        *target = source.clone();
        return;
    };
    let (Value::Object(members), Value::Object(targets)) = (source, &mut *target) else {
        return;
    };
    let Some(member) = members.get(name) else { return };
    if rest.is_empty() {
        targets.insert(name.clone(), member.clone());
        return;
    }
    if !member.is_object() {
        return;
    }
    let slot = targets.entry(name.clone()).or_insert_with(|| Value::Object(Map::new()));
    copy_member(member, slot, rest);
    // A pointer to nothing under an object leaves no empty object behind.
    if slot.as_object().is_some_and(Map::is_empty) {
        targets.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn member_names_and_pointers_share_one_form() {
        assert_eq!(normalize_field("stateOfHealth").as_deref(), Ok("/stateOfHealth"));
        assert_eq!(normalize_field("/a/b").as_deref(), Ok("/a/b"));
        assert_eq!(normalize_field("a/b").as_deref(), Ok("/a~1b"));
        assert_eq!(normalize_field("m~n").as_deref(), Ok("/m~0n"));
        assert!(normalize_field("/a//b").is_err());
        assert!(normalize_field("/a~2").is_err());
        assert!(normalize_field("").is_err());
        assert!(normalize_field("a\nb").is_err());
        assert_eq!(
            normalized_fields(&["b".to_owned(), "/a".to_owned(), "/b".to_owned()]),
            vec!["/a", "/b"]
        );
    }

    #[test]
    fn fields_are_checked_for_their_kind_count_form_and_repetition() {
        let check = |kind, fields: &[&str]| {
            let fields: Vec<String> = fields.iter().map(|field| (*field).to_owned()).collect();
            let mut violations = Violations::new();
            check_fields(&mut violations, "/fields", kind, Some(&fields));
            violations
                .into_result()
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|violation| violation.path)
                .collect::<Vec<_>>()
        };
        assert!(check(RecordKind::Passport, &["a", "/b/c"]).is_empty());
        assert_eq!(check(RecordKind::Event, &["a", "/a"]), vec!["/fields/1"]);
        assert_eq!(check(RecordKind::Event, &["a", "/x~3"]), vec!["/fields/1"]);
        assert_eq!(check(RecordKind::Footprint, &["pcf"]), vec!["/fields"]);
        assert_eq!(check(RecordKind::Passport, &[]), vec!["/fields"]);
    }

    #[test]
    fn a_field_is_within_itself_and_its_parents_only() {
        let scope = vec!["/a".to_owned(), "/b/c".to_owned()];
        assert!(within("/a", &scope));
        assert!(within("/a/x", &scope));
        assert!(within("/b/c/d", &scope));
        assert!(!within("/b", &scope));
        assert!(!within("/ab", &scope));
        assert!(!within("/b/cd", &scope));
    }

    #[test]
    fn projection_keeps_the_granted_members_in_place() {
        let data = json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2], "f~g": true});
        let fields = normalized_fields(&[
            "/b/c".to_owned(),
            "e".to_owned(),
            "/e/0".to_owned(),
            "f~g".to_owned(),
            "/zz".to_owned(),
            "/a/q".to_owned(),
        ]);
        let (projected, withheld) = project(&data, &fields);
        assert_eq!(projected, json!({"b": {"c": 2}, "e": [1, 2], "f~g": true}));
        assert_eq!(withheld, vec!["/a"]);
        let (nothing, withheld) = project(&data, &["/zz/y".to_owned()]);
        assert_eq!(nothing, json!({}));
        assert_eq!(withheld.len(), 4);
    }
}
