//! The web application's assets, embedded in the binary: the stylesheet, the progressive
//! enhancement script and the logo. Pages link them with a version taken from their content
//! (`?v=<hash>`), so browsers may keep them for a year and still see a new release at once.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded asset.
#[derive(Debug)]
pub struct Asset {
    /// File name under `/app/assets/`.
    pub name: &'static str,
    /// Media type.
    pub content_type: &'static str,
    /// Content.
    pub body: &'static str,
}

/// Every asset of the application.
pub const ASSETS: [Asset; 3] = [
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("assets/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("assets/app.js"),
    },
    Asset {
        name: "logo.svg",
        content_type: "image/svg+xml",
        body: include_str!("assets/logo.svg"),
    },
];

/// The URL of asset `name` with its content version, e.g. `/app/assets/app.css?v=1a2b3c4d`.
pub fn url(name: &str) -> String {
    static VERSIONS: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
    let versions = VERSIONS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|asset| {
                let hash = Sha256::digest(asset.body.as_bytes());
                (asset.name, hex::encode(&hash[..4]))
            })
            .collect()
    });
    match versions.iter().find(|(asset, _)| *asset == name) {
        Some((_, version)) => format!("/app/assets/{name}?v={version}"),
        None => format!("/app/assets/{name}"),
    }
}

/// `GET /app/assets/{name}`: an embedded asset, cacheable for a year.
pub async fn get_asset(Path(name): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|asset| asset.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = asset.body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    response
}
