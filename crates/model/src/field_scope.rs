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
/// pointers of the members left out: a member left out whole is named by its pointer, a member
/// kept in part (an object some of whose members a pointer selects) by the pointers of the
/// members left out under it (`/readPoint/id` when only `/readPoint/extension` is granted), so
/// that the list names exactly what is hidden. A pointer to nothing selects nothing. A value
/// that is not an object is returned unchanged when the scope names it whole and empty
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
    let mut withheld = Vec::new();
    left_out(value, &projected, "", &mut withheld);
    (projected, withheld)
}

/// Appends to `withheld` the pointers (under `prefix`) of the members of `source` that `kept`
/// does not hold whole: absent ones by their pointer, objects kept in part recursively.
fn left_out(source: &Value, kept: &Value, prefix: &str, withheld: &mut Vec<String>) {
    let (Value::Object(members), Value::Object(kept_members)) = (source, kept) else {
        return;
    };
    for (name, member) in members {
        let pointer = format!("{prefix}/{}", name.replace('~', "~0").replace('/', "~1"));
        match kept_members.get(name) {
            None => withheld.push(pointer),
            Some(kept_member) if kept_member != member => left_out(member, kept_member, &pointer, withheld),
            Some(_) => {}
        }
    }
}

/// One live grant covering a record, as the read rule found it: its id, level and fields
/// (`None`: every field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoveringGrant {
    /// The grant.
    pub id: crate::ids::GrantId,
    /// Its level.
    pub level: crate::access::GrantLevel,
    /// Its fields (pointer form), or `None` for every field.
    pub fields: Option<Vec<String>>,
}

/// The grants a read at `level` is made under, among the live grants `covering` one record, and
/// the fields they allow together: every grant of at least that level may contribute, so a
/// reader holding grants of fields `[/a, /b]` and `[/c]` reads `/a`, `/b` and `/c`. One grant
/// of every field is enough alone (the first by id); otherwise the grants are taken widest first
/// and a grant whose fields the others already allow adds nothing and is not used (its read
/// count and audit entry stay untouched). The first grant returned is the read's strongest.
pub fn merge_grants(
    covering: &[CoveringGrant],
    level: crate::access::GrantLevel,
) -> (Vec<crate::ids::GrantId>, Option<Vec<String>>) {
    let mut candidates: Vec<&CoveringGrant> = covering.iter().filter(|grant| grant.level >= level).collect();
    candidates.sort_by(|left, right| {
        let width = |grant: &CoveringGrant| grant.fields.as_ref().map_or(usize::MAX, Vec::len);
        width(right)
            .cmp(&width(left))
            .then_with(|| right.level.cmp(&left.level))
            .then_with(|| left.id.cmp(&right.id))
    });
    let Some(first) = candidates.first() else {
        return (Vec::new(), None);
    };
    if first.fields.is_none() {
        return (vec![first.id], None);
    }
    let mut used = Vec::new();
    let mut union: Vec<String> = Vec::new();
    for grant in candidates {
        let fields = grant.fields.as_deref().unwrap_or_default();
        if fields.iter().all(|field| within(field, &union)) {
            continue;
        }
        used.push(grant.id);
        let added: Vec<String> = fields.iter().filter(|field| !within(field, &union)).cloned().collect();
        union.extend(added);
    }
    // A member granted whole makes the grants of members under it redundant in the union.
    let whole: Vec<String> = union.clone();
    union.retain(|field| {
        !whole
            .iter()
            .any(|other| other != field && within(field, std::slice::from_ref(other)))
    });
    union.sort_unstable();
    union.dedup();
    (used, Some(union))
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
        // A member kept in part names what is hidden under it.
        assert_eq!(withheld, vec!["/a", "/b/d"]);
        let (nothing, withheld) = project(&data, &["/zz/y".to_owned()]);
        assert_eq!(nothing, json!({}));
        assert_eq!(withheld.len(), 4);
    }

    #[test]
    fn grants_merge_into_the_union_of_their_fields_at_the_level_read() {
        use crate::access::GrantLevel;
        use crate::ids::GrantId;
        let id = |n: u128| GrantId(uuid::Uuid::from_u128(n));
        let grant = |n: u128, level, fields: Option<&[&str]>| CoveringGrant {
            id: id(n),
            level,
            fields: fields.map(|fields| fields.iter().map(|field| (*field).to_owned()).collect()),
        };
        let full = GrantLevel::Full;
        let legitimate = GrantLevel::LegitimateInterest;
        // Fields [a, b] and [c]: both used, the union read.
        let (used, fields) = merge_grants(
            &[grant(1, full, Some(&["/a", "/b"])), grant(2, full, Some(&["/c"]))],
            full,
        );
        assert_eq!(used, vec![id(1), id(2)]);
        assert_eq!(fields, Some(vec!["/a".to_owned(), "/b".to_owned(), "/c".to_owned()]));
        // A grant of every field is enough alone; one whose fields the others allow adds nothing.
        let (used, fields) = merge_grants(&[grant(1, full, Some(&["/a"])), grant(2, full, None)], full);
        assert_eq!((used, fields), (vec![id(2)], None));
        let (used, fields) = merge_grants(
            &[grant(1, full, Some(&["/a/x"])), grant(2, full, Some(&["/a", "/b"]))],
            full,
        );
        assert_eq!(used, vec![id(2)]);
        assert_eq!(fields, Some(vec!["/a".to_owned(), "/b".to_owned()]));
        // A grant of a lower level does not give its fields at a higher level, but joins a read
        // made at its level.
        let covering = [grant(1, full, Some(&["/a"])), grant(2, legitimate, Some(&["/c"]))];
        assert_eq!(
            merge_grants(&covering, full),
            (vec![id(1)], Some(vec!["/a".to_owned()]))
        );
        assert_eq!(
            merge_grants(&covering, legitimate),
            (vec![id(1), id(2)], Some(vec!["/a".to_owned(), "/c".to_owned()]))
        );
        assert_eq!(merge_grants(&[], full), (Vec::new(), None));
    }
}
