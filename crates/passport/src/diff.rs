//! Differences between two versions of a passport as an RFC 6902 JSON Patch: applying the patch
//! to the older document gives the newer one. Both documents are a reader's views, so a diff
//! shows no more than the reader may see of either version.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::profile::escape_segment;

/// One JSON Patch operation.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum PatchOperation {
    /// A value that the newer document adds.
    Add {
        /// Where.
        path: String,
        /// The value.
        #[schema(value_type = Object)]
        value: Value,
    },
    /// A value that the newer document no longer has.
    Remove {
        /// Where.
        path: String,
    },
    /// A value that changed.
    Replace {
        /// Where.
        path: String,
        /// The new value.
        #[schema(value_type = Object)]
        value: Value,
    },
}

/// The patch from `old` to `new`, paths prefixed with `base` (e.g. `/data`).
pub fn diff(old: &Value, new: &Value, base: &str) -> Vec<PatchOperation> {
    let mut operations = Vec::new();
    walk(old, new, &mut base.to_owned(), &mut operations);
    operations
}

fn walk(old: &Value, new: &Value, path: &mut String, operations: &mut Vec<PatchOperation>) {
    match (old, new) {
        (Value::Object(before), Value::Object(after)) => {
            for (key, value) in before {
                let length = path.len();
                path.push('/');
                path.push_str(&escape_segment(key));
                match after.get(key) {
                    Some(changed) => walk(value, changed, path, operations),
                    None => operations.push(PatchOperation::Remove { path: path.clone() }),
                }
                path.truncate(length);
            }
            for (key, value) in after {
                if !before.contains_key(key) {
                    operations.push(PatchOperation::Add {
                        path: format!("{path}/{}", escape_segment(key)),
                        value: value.clone(),
                    });
                }
            }
        }
        (Value::Array(before), Value::Array(after)) => {
            let common = before.len().min(after.len());
            for index in 0..common {
                let length = path.len();
                path.push('/');
                path.push_str(&index.to_string());
                walk(&before[index], &after[index], path, operations);
                path.truncate(length);
            }
            // Removals from the end first, so that each path is valid when it is applied.
            for index in (common..before.len()).rev() {
                operations.push(PatchOperation::Remove {
                    path: format!("{path}/{index}"),
                });
            }
            for value in &after[common..] {
                operations.push(PatchOperation::Add {
                    path: format!("{path}/-"),
                    value: value.clone(),
                });
            }
        }
        (before, after) if before != after => operations.push(PatchOperation::Replace {
            path: path.clone(),
            value: after.clone(),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Applies a patch (enough of RFC 6902 for the operations `diff` makes).
    fn apply(document: &mut Value, operations: &[PatchOperation]) {
        for operation in operations {
            match operation {
                PatchOperation::Add { path, value } | PatchOperation::Replace { path, value } => {
                    let (parent, last) = path.rsplit_once('/').expect("a path has a parent");
                    let parent = document.pointer_mut(parent).expect("parent exists");
                    match parent {
                        Value::Array(items) if last == "-" => items.push(value.clone()),
                        Value::Array(items) => items[last.parse::<usize>().expect("index")] = value.clone(),
                        Value::Object(map) => {
                            map.insert(last.replace("~1", "/").replace("~0", "~"), value.clone());
                        }
                        _ => panic!("parent is a container"),
                    }
                }
                PatchOperation::Remove { path } => {
                    let (parent, last) = path.rsplit_once('/').expect("a path has a parent");
                    match document.pointer_mut(parent).expect("parent exists") {
                        Value::Array(items) => {
                            items.remove(last.parse::<usize>().expect("index"));
                        }
                        Value::Object(map) => {
                            map.remove(&last.replace("~1", "/").replace("~0", "~"));
                        }
                        _ => panic!("parent is a container"),
                    }
                }
            }
        }
    }

    #[test]
    fn the_patch_turns_old_into_new() {
        let old = json!({"a": 1, "b": {"c": [1, 2, 3], "d/e": "x"}, "gone": true});
        let new = json!({"a": 2, "b": {"c": [1, 5], "d/e": "x", "f": null}, "added": [1]});
        let patch = diff(&old, &new, "");
        let mut applied = old.clone();
        apply(&mut applied, &patch);
        assert_eq!(applied, new);
        assert_eq!(
            serde_json::to_value(&patch).expect("serialises"),
            json!([
                {"op": "replace", "path": "/a", "value": 2},
                {"op": "replace", "path": "/b/c/1", "value": 5},
                {"op": "remove", "path": "/b/c/2"},
                {"op": "add", "path": "/b/f", "value": null},
                {"op": "remove", "path": "/gone"},
                {"op": "add", "path": "/added", "value": [1]}
            ])
        );
        assert!(diff(&new, &new, "/data").is_empty());
    }
}
