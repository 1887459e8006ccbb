//! Paged list responses: `{"items": [...], "next_cursor": "..."}` and a `Link: <...>; rel="next"`
//! header (RFC 8288) carrying the same cursor.

use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;

use junkan_model::page::Page;

/// Renders `page` of the resource at `uri`.
pub fn paged<T: Serialize>(uri: &Uri, page: Page<T>) -> Response {
    let next_cursor = page.next_after.as_ref().map(|after| URL_SAFE_NO_PAD.encode(after));
    let body = serde_json::json!({ "items": page.items, "next_cursor": next_cursor });
    let mut response = Json(body).into_response();
    if let Some(cursor) = next_cursor {
        let mut pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(uri.query().unwrap_or_default()).unwrap_or_default();
        pairs.retain(|(name, _)| name != "cursor");
        pairs.push(("cursor".to_owned(), cursor));
        let query = serde_urlencoded::to_string(&pairs).expect("pairs of strings always encode");
        let link = format!("<{}?{query}>; rel=\"next\"", uri.path());
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

/// Declares a concrete list type for the OpenAPI document.
#[macro_export]
macro_rules! list_schema {
    ($name:ident, $item:ty) => {
        #[doc = concat!("A page of ", stringify!($item), " records.")]
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            /// The records of this page.
            pub items: Vec<$item>,
            /// Cursor of the next page (also in the `Link` header), absent on the last page.
            pub next_cursor: Option<String>,
        }
    };
}
