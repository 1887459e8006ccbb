//! The GS1-Conformant resolver of passports (GS1 Digital Link URIs at the node's root): what a
//! resolved passport links to ([`links`]), its page for people ([`page`]), its QR code ([`qr`]),
//! and the in-process cache of rendered public views ([`cache`]). The HTTP side is
//! `handlers::resolver`.

pub mod cache;
pub mod links;
pub mod page;
pub mod qr;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use junkan_passport::CompiledProfile;
use junkan_store::{Store, StoreError};

pub use cache::{PublicViewCache, DEFAULT_CACHE_CAPACITY, DEFAULT_CACHE_TTL};

/// What the resolver keeps between requests.
#[derive(Debug, Clone)]
pub struct ResolverState {
    /// Rendered public views. Passport write handlers call `views.invalidate(identifier)`.
    pub views: PublicViewCache,
    /// Compiled profiles.
    pub profiles: ProfileLibrary,
    /// The cache's time to live in seconds, also sent as `max-age` on public views.
    pub ttl_seconds: u64,
}

impl ResolverState {
    /// State with a view cache of `capacity` views kept for `ttl`.
    pub fn new(ttl: std::time::Duration, capacity: usize) -> ResolverState {
        ResolverState {
            views: PublicViewCache::new(ttl, capacity),
            profiles: ProfileLibrary::default(),
            ttl_seconds: ttl.as_secs(),
        }
    }
}

/// Compiled profiles by (code, version), so that the page can read labels, units and information
/// items without compiling a schema per request. Profiles are public documents and immutable per
/// version, so entries never go stale.
#[derive(Debug, Default, Clone)]
pub struct ProfileLibrary(Arc<Mutex<CompiledProfiles>>);

/// Compiled profiles by (code, version).
type CompiledProfiles = HashMap<(String, String), Arc<CompiledProfile>>;

impl ProfileLibrary {
    /// The compiled profile `code` at `version`, read from the store on first use.
    pub async fn get(&self, store: &dyn Store, code: &str, version: &str) -> Result<Arc<CompiledProfile>, StoreError> {
        let key = (code.to_owned(), version.to_owned());
        if let Some(compiled) = self.lock().get(&key) {
            return Ok(compiled.clone());
        }
        let record = store.get_profile(code, Some(version)).await?;
        let compiled = junkan_passport::Profile::compile(&record.document).map_err(|violations| {
            StoreError::Unavailable(format!("stored profile {code}@{version} does not compile: {violations:?}").into())
        })?;
        let compiled = Arc::new(compiled);
        self.lock().insert(key, compiled.clone());
        Ok(compiled)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CompiledProfiles> {
        self.0
            .lock()
            .expect("profile library mutex is never poisoned: no code panics while holding it")
    }
}

/// The language of a page or a label: Japanese by default, English on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    /// 日本語.
    Ja,
    /// English.
    En,
}

impl Language {
    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Language::Ja => "ja",
            Language::En => "en",
        }
    }

    /// `?lang=` if given (`en` or `ja`), else the first of `ja`/`en` in `Accept-Language` by
    /// quality, else Japanese.
    pub fn choose(lang: Option<&str>, accept_language: Option<&str>) -> Result<Language, String> {
        if let Some(lang) = lang {
            return match lang.to_ascii_lowercase().as_str() {
                "ja" => Ok(Language::Ja),
                "en" => Ok(Language::En),
                other => Err(format!("{other:?} is not a supported language: use ja or en")),
            };
        }
        let mut best: Option<(f32, Language)> = None;
        for range in accept_language.unwrap_or_default().split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let quality = parts
                .filter_map(|part| part.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let language = match tag.split('-').next().unwrap_or_default() {
                "ja" => Language::Ja,
                "en" => Language::En,
                _ => continue,
            };
            if quality > 0.0 && best.is_none_or(|(best_quality, _)| quality > best_quality) {
                best = Some((quality, language));
            }
        }
        Ok(best.map_or(Language::Ja, |(_, language)| language))
    }

    /// Of a Japanese and English pair, the one in this language.
    pub fn pick<'a>(self, labels: (&'a str, &'a str)) -> &'a str {
        match self {
            Language::Ja => labels.0,
            Language::En => labels.1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Language;

    #[test]
    fn language_follows_lang_then_accept_language() {
        assert_eq!(Language::choose(None, None), Ok(Language::Ja));
        assert_eq!(Language::choose(Some("en"), Some("ja")), Ok(Language::En));
        assert_eq!(
            Language::choose(None, Some("en-GB,en;q=0.9,ja;q=0.5")),
            Ok(Language::En)
        );
        assert_eq!(Language::choose(None, Some("fr, ja;q=0.3, en;q=0.2")), Ok(Language::Ja));
        assert_eq!(Language::choose(None, Some("de")), Ok(Language::Ja));
        assert!(Language::choose(Some("fr"), None).is_err());
    }
}
