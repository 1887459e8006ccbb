//! Cursor pagination: a page of results and the opaque cursor of the next one.

use serde::Serialize;

/// Largest page a caller may ask for.
pub const MAX_PAGE_SIZE: u32 = 500;
/// Page size when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// Which page to read: after `cursor` (exclusive), at most `limit` items.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageRequest {
    /// The sort key of the last item of the previous page, if any.
    pub after: Option<String>,
    /// Maximum number of items, 1..=MAX_PAGE_SIZE.
    pub limit: u32,
}

impl PageRequest {
    /// The first page of `limit` items.
    pub fn first(limit: u32) -> Self {
        PageRequest {
            after: None,
            limit: limit.clamp(1, MAX_PAGE_SIZE),
        }
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    /// The items, in key order.
    pub items: Vec<T>,
    /// The key to continue after, when more items exist.
    pub next_after: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only tells that more exist.
    pub fn from_overfetch(mut rows: Vec<T>, limit: u32, key: impl Fn(&T) -> String) -> Self {
        let limit = limit as usize;
        let next_after = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(&key)
        } else {
            None
        };
        Page {
            items: rows,
            next_after,
        }
    }

    /// Converts every item, keeping the cursor.
    pub fn map<U>(self, convert: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(convert).collect(),
            next_after: self.next_after,
        }
    }
}
