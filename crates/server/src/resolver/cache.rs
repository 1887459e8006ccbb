//! The in-process cache of rendered **public** passport views (anonymous callers only), so that
//! resolving a product's QR code costs a hash lookup instead of a store read and a rendering.
//!
//! Keyed by the requested identifier's canonical form, the representation and the language;
//! bounded in size; entries expire after a short time to live, so that several instances over one
//! PostgreSQL database converge on writes made elsewhere; and writes made through this process
//! drop the entries they touch at once through [`PublicViewCache::invalidate`] (or everything
//! through [`PublicViewCache::invalidate_all`]). A read that raced with an invalidation is not
//! stored: each read notes the generation before it asks the store, and a result is kept only
//! while no invalidation happened since.
//!
//! Authenticated callers never go through the cache: their views differ per caller and their
//! reads may be audited.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;

use super::Language;

/// Default time to live of a cached view.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(60);
/// Default number of cached views.
pub const DEFAULT_CACHE_CAPACITY: usize = 50_000;

/// The forms a resolved passport is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Representation {
    /// The HTML page for people.
    Page,
    /// The JSON-LD view.
    JsonLd,
    /// The RFC 9264 linkset.
    Linkset,
}

/// What a cached view is looked up by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// The requested identifier, canonical.
    pub identifier: String,
    /// The representation.
    pub representation: Representation,
    /// The language (the JSON-LD view, the same in every language, is stored under Japanese).
    pub language: Language,
}

impl CacheKey {
    /// The key of `representation` of `identifier` in `language`.
    pub fn new(identifier: &str, representation: Representation, language: Language) -> CacheKey {
        let language = if representation == Representation::JsonLd {
            Language::Ja
        } else {
            language
        };
        CacheKey {
            identifier: identifier.to_owned(),
            representation,
            language,
        }
    }
}

/// A rendered view: the body and what the response needs besides it.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedView {
    /// The body.
    pub body: Bytes,
    /// Its media type.
    pub content_type: &'static str,
    /// The identifier of the passport that answered (the requested one or a less specific one).
    pub matched: String,
}

#[derive(Debug)]
struct Entry {
    view: Arc<RenderedView>,
    stored_at: Instant,
}

#[derive(Debug)]
struct Inner {
    entries: Mutex<HashMap<CacheKey, Entry>>,
    generation: AtomicU64,
    ttl: Duration,
    capacity: usize,
}

/// The cache; cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct PublicViewCache(Arc<Inner>);

impl Default for PublicViewCache {
    fn default() -> PublicViewCache {
        PublicViewCache::new(DEFAULT_CACHE_TTL, DEFAULT_CACHE_CAPACITY)
    }
}

impl PublicViewCache {
    /// A cache keeping at most `capacity` views for `ttl` each; a zero TTL or capacity disables it.
    pub fn new(ttl: Duration, capacity: usize) -> PublicViewCache {
        PublicViewCache(Arc::new(Inner {
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            ttl,
            capacity,
        }))
    }

    fn enabled(&self) -> bool {
        !self.0.ttl.is_zero() && self.0.capacity > 0
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<CacheKey, Entry>> {
        self.0
            .entries
            .lock()
            .expect("view cache mutex is never poisoned: no code panics while holding it")
    }

    /// The view under `key` if it is fresh.
    pub fn get(&self, key: &CacheKey) -> Option<Arc<RenderedView>> {
        if !self.enabled() {
            return None;
        }
        let mut entries = self.lock();
        match entries.get(key) {
            Some(entry) if entry.stored_at.elapsed() < self.0.ttl => Some(entry.view.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// The generation to pass to [`PublicViewCache::put`]: read it before asking the store.
    pub fn generation(&self) -> u64 {
        self.0.generation.load(Ordering::Acquire)
    }

    /// Keeps `view` under `key`, unless an invalidation happened since `generation` was read.
    pub fn put(&self, key: CacheKey, view: Arc<RenderedView>, generation: u64) {
        if !self.enabled() {
            return;
        }
        let mut entries = self.lock();
        // Checked under the lock: invalidations bump the generation while holding it.
        if self.generation() != generation {
            return;
        }
        if entries.len() >= self.0.capacity && !entries.contains_key(&key) {
            let ttl = self.0.ttl;
            entries.retain(|_, entry| entry.stored_at.elapsed() < ttl);
            if entries.len() >= self.0.capacity {
                // Still full of fresh views: drop an eighth, whichever the map yields first.
                let victims: Vec<CacheKey> = entries.keys().take(self.0.capacity / 8 + 1).cloned().collect();
                for victim in victims {
                    entries.remove(&victim);
                }
            }
        }
        entries.insert(
            key,
            Entry {
                view,
                stored_at: Instant::now(),
            },
        );
    }

    /// Drops every view that a write to the passport `identifier` (canonical) may change: views
    /// that passport answered, and views of it or of more specific identifiers (which fall back
    /// to it, or which a new passport at `identifier` now answers instead of a less specific one).
    pub fn invalidate(&self, identifier: &str) {
        let mut entries = self.lock();
        self.0.generation.fetch_add(1, Ordering::AcqRel);
        let more_specific = format!("{identifier}/");
        entries.retain(|key, entry| {
            entry.view.matched != identifier
                && key.identifier != identifier
                && !key.identifier.starts_with(&more_specific)
        });
    }

    /// Drops every view (e.g. after a bulk import or a profile change).
    pub fn invalidate_all(&self) {
        let mut entries = self.lock();
        self.0.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// How many views are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no view is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(matched: &str) -> Arc<RenderedView> {
        Arc::new(RenderedView {
            body: Bytes::from_static(b"{}"),
            content_type: "application/ld+json",
            matched: matched.to_owned(),
        })
    }

    const MODEL: &str = "https://id.gs1.org/01/04912345000019";
    const ITEM: &str = "https://id.gs1.org/01/04912345000019/21/7";

    #[test]
    fn writes_drop_what_they_touch_and_racing_reads_are_not_kept() {
        let cache = PublicViewCache::new(Duration::from_secs(60), 100);
        let item_key = CacheKey::new(ITEM, Representation::JsonLd, Language::En);
        let other = CacheKey::new(
            "https://id.gs1.org/01/09506000134352",
            Representation::Page,
            Language::Ja,
        );
        cache.put(item_key.clone(), view(MODEL), cache.generation());
        cache.put(other.clone(), view(&other.identifier), cache.generation());
        assert_eq!(
            item_key.language,
            Language::Ja,
            "JSON-LD is one view for every language"
        );
        assert!(cache.get(&item_key).is_some());
        // A new item passport: the item's view (answered by the model until now) goes.
        cache.invalidate(ITEM);
        assert!(cache.get(&item_key).is_none());
        assert!(cache.get(&other).is_some());
        // A change of the model drops views it answered and views of its items.
        cache.put(item_key.clone(), view(MODEL), cache.generation());
        cache.invalidate(MODEL);
        assert!(cache.get(&item_key).is_none());
        // A read that started before an invalidation is not kept.
        let generation = cache.generation();
        cache.invalidate("https://id.gs1.org/00/106141412345678908");
        cache.put(item_key.clone(), view(MODEL), generation);
        assert!(cache.get(&item_key).is_none());
        cache.invalidate_all();
        assert!(cache.is_empty());
    }

    #[test]
    fn entries_expire_and_the_size_is_bounded() {
        let cache = PublicViewCache::new(Duration::from_millis(30), 16);
        for number in 0..100 {
            let key = CacheKey::new(&format!("{MODEL}/21/{number}"), Representation::Page, Language::Ja);
            cache.put(key, view(MODEL), cache.generation());
            assert!(cache.len() <= 16);
        }
        let key = CacheKey::new(ITEM, Representation::Page, Language::Ja);
        cache.put(key.clone(), view(MODEL), cache.generation());
        assert!(cache.get(&key).is_some());
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.get(&key).is_none());
        let disabled = PublicViewCache::new(Duration::ZERO, 16);
        disabled.put(key.clone(), view(MODEL), disabled.generation());
        assert!(disabled.get(&key).is_none());
    }
}
