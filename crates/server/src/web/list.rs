//! What the workspace lists share: reading their query (filters and the page cursor), the
//! pager, and the names of the organizations records belong to.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use maud::{html, Markup};

use junkan_model::ids::OrganizationId;
use junkan_model::organization::Organization;
use junkan_model::page::PageRequest;
use junkan_store::Store;

use super::context::Web;
use super::i18n::{Language, Text};
use super::layout::organization_name;

/// Rows per page of every list.
pub const PAGE_SIZE: u32 = 25;

const NEXT: Text = ("次のページ", "Next page");
const FIRST: Text = ("最初のページ", "First page");
const BAD_CURSOR: Text = (
    "ページの位置が読み取れないため、最初のページを表示しています。",
    "The page position could not be read; this is the first page.",
);
const UNKNOWN_ORGANIZATION: Text = ("（不明な組織）", "(unknown organization)");

/// A list page's query: its parameters by name (empty values dropped) and its page.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    params: Vec<(String, String)>,
    /// The page asked for.
    pub page: PageRequest,
    /// Whether the cursor was unreadable (the first page is shown, with a notice).
    pub bad_cursor: bool,
}

impl ListQuery {
    /// Reads a raw query string; a malformed one counts as empty.
    pub fn parse(raw: Option<&str>) -> ListQuery {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default();
        let mut query = ListQuery {
            page: PageRequest::first(PAGE_SIZE),
            ..ListQuery::default()
        };
        for (name, value) in pairs {
            let value = value.trim().to_owned();
            if value.is_empty() {
                continue;
            }
            if name == "cursor" {
                match URL_SAFE_NO_PAD
                    .decode(&value)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                {
                    Some(after) => query.page.after = Some(after),
                    None => query.bad_cursor = true,
                }
            } else {
                query.params.push((name, value));
            }
        }
        query
    }

    /// A parameter's value, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The link to the page after `next_after` with the same filters.
    pub fn next_href(&self, path: &str, next_after: &str) -> String {
        let mut pairs = self.params.clone();
        pairs.push(("cursor".to_owned(), URL_SAFE_NO_PAD.encode(next_after)));
        format!(
            "{path}?{}",
            serde_urlencoded::to_string(&pairs).expect("pairs of strings always encode")
        )
    }

    /// The link to the first page with the same filters.
    pub fn first_href(&self, path: &str) -> String {
        if self.params.is_empty() {
            return path.to_owned();
        }
        format!(
            "{path}?{}",
            serde_urlencoded::to_string(&self.params).expect("pairs of strings always encode")
        )
    }
}

/// The pager under a list: to the first page (when not on it) and to the next one (when there
/// is one), and the notice of an unreadable cursor.
pub fn pager(web: &Web, query: &ListQuery, path: &str, next_after: Option<&str>) -> Markup {
    html! {
        @if query.bad_cursor {
            p.notice role="status" { (web.t(BAD_CURSOR)) }
        }
        nav.pager aria-label=(web.t(("ページ送り", "Pages"))) {
            @if query.page.after.is_some() {
                a href=(query.first_href(path)) { (web.t(FIRST)) }
            }
            @if let Some(after) = next_after {
                a href=(query.next_href(path, after)) rel="next" { (web.t(NEXT)) " →" }
            }
        }
    }
}

/// Directory entries read once per page (the directory is public).
#[derive(Debug, Default)]
pub struct Organizations(HashMap<OrganizationId, Option<Organization>>);

impl Organizations {
    /// The name of organization `id` in `language`.
    pub async fn name(&mut self, store: &dyn Store, language: Language, id: OrganizationId) -> String {
        if let std::collections::hash_map::Entry::Vacant(entry) = self.0.entry(id) {
            entry.insert(store.get_organization(id).await.ok());
        }
        match self.0.get(&id).and_then(Option::as_ref) {
            Some(organization) => organization_name(language, organization).to_owned(),
            None => language.pick(UNKNOWN_ORGANIZATION).to_owned(),
        }
    }
}

/// A select's options: (value, label) with the one equal to `selected` marked.
pub fn options<'a>(choices: impl IntoIterator<Item = (&'a str, &'a str)>, selected: Option<&str>) -> Markup {
    html! {
        @for (value, label) in choices {
            option value=(value) selected[selected == Some(value)] { (label) }
        }
    }
}

/// Tabs between views of one list: (link, label, whether it is the current one).
pub fn tabs<const N: usize>(web: &Web, entries: [(&str, Text, bool); N]) -> Markup {
    html! {
        ul.tabs {
            @for (href, label, current) in entries {
                li { a href=(href) aria-current=[current.then_some("page")] { (web.t(label)) } }
            }
        }
    }
}
