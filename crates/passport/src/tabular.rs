//! Passport data as table rows (CSV import and export): one column per leaf value, named by its
//! JSON pointer (`/polymer/name`, `/fibreComposition/0/share`). Flattening then rebuilding gives
//! the same document for every document whose arrays and objects are not empty.

use serde_json::{Map, Value};

use crate::profile::{escape_segment, parse_pointer};

/// Every leaf of `data` with its pointer, in document order.
pub fn flatten(data: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    walk(data, &mut String::new(), &mut out);
    out
}

fn walk(value: &Value, path: &mut String, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, item) in map {
                let length = path.len();
                path.push('/');
                path.push_str(&escape_segment(key));
                walk(item, path, out);
                path.truncate(length);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (index, item) in items.iter().enumerate() {
                let length = path.len();
                path.push('/');
                path.push_str(&index.to_string());
                walk(item, path, out);
                path.truncate(length);
            }
        }
        leaf => out.push((path.clone(), leaf.clone())),
    }
}

/// The text of a leaf in a cell: strings as they are, everything else as JSON.
pub fn cell_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Rebuilds a document from `(pointer, value)` pairs. A segment of digits makes an array (items
/// must be given from 0 without gaps).
pub fn unflatten(pairs: &[(String, Value)]) -> Result<Value, String> {
    let mut root = Value::Object(Map::new());
    for (pointer, value) in pairs {
        let segments = parse_pointer(pointer)?;
        let mut node = &mut root;
        for (position, segment) in segments.iter().enumerate() {
            let last = position + 1 == segments.len();
            let next_is_index = segments
                .get(position + 1)
                .is_some_and(|next| next.bytes().all(|byte| byte.is_ascii_digit()));
            let fresh = || {
                if next_is_index {
                    Value::Array(Vec::new())
                } else {
                    Value::Object(Map::new())
                }
            };
            node = match node {
                Value::Object(map) => {
                    if last {
                        map.insert(segment.clone(), value.clone());
                        break;
                    }
                    map.entry(segment.clone()).or_insert_with(fresh)
                }
                Value::Array(items) => {
                    let index: usize = segment
                        .parse()
                        .map_err(|_| format!("{pointer}: {segment:?} is not an array index"))?;
                    if index > items.len() {
                        return Err(format!("{pointer}: array items must be given from 0 without gaps"));
                    }
                    if index == items.len() {
                        items.push(if last { value.clone() } else { fresh() });
                    } else if last {
                        items[index] = value.clone();
                    }
                    if last {
                        break;
                    }
                    &mut items[index]
                }
                _ => return Err(format!("{pointer}: a value and a nested value share this place")),
            };
        }
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn flattening_round_trips() {
        let data = json!({"a": {"b/c": 1, "d": [{"e": "x"}, {"e": "y", "f": [true, null]}]}, "g": "text"});
        let pairs = flatten(&data);
        assert_eq!(pairs[0], ("/a/b~1c".to_owned(), json!(1)));
        assert_eq!(unflatten(&pairs), Ok(data));
        assert!(unflatten(&[("/a/1".to_owned(), json!(1))]).is_err_and(|message| message.contains("gaps")));
    }
}
