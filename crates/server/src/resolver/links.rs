//! What a resolved passport links to, and its machine-readable forms: the RFC 9264 linkset of the
//! GS1-Conformant resolver standard (link relation types of the GS1 Web Vocabulary, exactly one
//! `gs1:defaultLink`), the JSON-LD view with its one `@context` ([`passport_context`]), and the
//! resolver description served at `/.well-known/gs1resolver`.

use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use junkan_gs1::digital_link::percent_encode;
use junkan_model::passport::Passport;
use junkan_passport::export::summary_value;
use junkan_passport::profile::Summary;

use super::Language;

/// Namespace of the GS1 Web Vocabulary, whose terms name the link types (`gs1:pip` is
/// `https://gs1.org/voc/pip`).
pub const GS1_VOCABULARY: &str = "https://gs1.org/voc/";
/// Namespace of the UN Transparency Protocol's link types (`untp:dpp`).
pub const UNTP_LINK_TYPES: &str = "https://test.uncefact.org/vocabulary/linkTypes/";
/// Namespace of junkan's own passport terms in the JSON-LD view.
pub const JUNKAN_PASSPORT_VOCABULARY: &str = "urn:junkan:passport:";

/// A link type the resolver offers for every passport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkType {
    /// Compact form, e.g. `gs1:pip`.
    pub curie: &'static str,
    /// Japanese and English titles of links of this type.
    pub titles: (&'static str, &'static str),
}

/// The link types of every passport, the default link first.
pub const LINK_TYPES: [LinkType; 7] = [
    LinkType {
        curie: "gs1:defaultLink",
        titles: ("製品パスポート", "Product passport"),
    },
    LinkType {
        curie: "gs1:pip",
        titles: (
            "製品パスポート（製品情報ページ）",
            "Product passport (product information page)",
        ),
    },
    LinkType {
        curie: "gs1:sustainabilityInfo",
        titles: (
            "環境価値（カーボンフットプリント・再生材含有率）",
            "Environmental value (carbon footprint, recycled content)",
        ),
    },
    LinkType {
        curie: "gs1:masterData",
        titles: ("パスポートデータ（JSON-LD）", "Passport data (JSON-LD)"),
    },
    LinkType {
        curie: "gs1:certificationInfo",
        titles: (
            "適合性の主張（UNTP デジタル製品パスポート）",
            "Conformity claims (UNTP digital product passport)",
        ),
    },
    LinkType {
        curie: "untp:dpp",
        titles: ("UNTP デジタル製品パスポート", "UNTP digital product passport"),
    },
    LinkType {
        curie: "gs1:traceability",
        titles: ("トレーサビリティ（EPCIS イベント）", "Traceability (EPCIS events)"),
    },
];

impl LinkType {
    /// The link relation type URI, e.g. `https://gs1.org/voc/pip`.
    pub fn uri(&self) -> String {
        expand(self.curie)
    }
}

/// The full URI of a CURIE with a known prefix (`gs1:`, `untp:`); anything else unchanged.
fn expand(name: &str) -> String {
    if let Some(term) = name.strip_prefix("gs1:") {
        format!("{GS1_VOCABULARY}{term}")
    } else if let Some(term) = name.strip_prefix("untp:") {
        format!("{UNTP_LINK_TYPES}{term}")
    } else {
        name.to_owned()
    }
}

/// The offered link type named by `?linkType=` (a CURIE or a full URI, `http` or `https`).
pub fn link_type_named(name: &str) -> Option<&'static LinkType> {
    let uri = expand(name.trim());
    let uri = match uri.strip_prefix("http://") {
        Some(rest) => format!("https://{rest}"),
        None => uri,
    };
    LINK_TYPES.iter().find(|link_type| link_type.uri() == uri)
}

/// One link of a passport.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Its type.
    pub link_type: &'static LinkType,
    /// Target.
    pub href: String,
    /// Title in the reader's language.
    pub title: String,
    /// Media type of the target.
    pub media_type: &'static str,
    /// Languages of the target, if it is in some.
    pub hreflang: &'static [&'static str],
}

/// Where a passport's representations live: the node's public root and the path of the
/// requested identifier's canonical Digital Link on it.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// The node's public base URL, without a trailing slash.
    pub root: &'a str,
    /// The requested identifier's canonical Digital Link URI.
    pub requested: &'a str,
}

impl Place<'_> {
    /// The requested identifier on this resolver, e.g. `https://node.example/01/0950.../21/1`.
    pub fn resolver_uri(&self) -> String {
        let path = self
            .requested
            .strip_prefix(&format!("https://{}", junkan_gs1::CANONICAL_HOST))
            .unwrap_or(self.requested);
        format!("{}{path}", self.root)
    }
}

/// Every link of `passport` requested as `place`, in [`LINK_TYPES`] order.
pub fn links(place: Place<'_>, passport: &Passport, language: Language) -> Vec<Link> {
    let page = place.resolver_uri();
    let export = format!("{}/api/v1/passports/{}/export?format=untp", place.root, passport.id);
    let events = format!(
        "{}/epcis/events?MATCH_anyEPC={}",
        place.root,
        percent_encode(&passport.identifier)
    );
    let title = |link_type: &LinkType| language.pick(link_type.titles).to_owned();
    let link = |index: usize, href: String, media_type: &'static str, hreflang: &'static [&'static str]| Link {
        link_type: &LINK_TYPES[index],
        href,
        title: title(&LINK_TYPES[index]),
        media_type,
        hreflang,
    };
    vec![
        link(0, format!("{page}?format=html"), "text/html", &["ja", "en"]),
        link(1, format!("{page}?format=html&lang=ja"), "text/html", &["ja"]),
        link(1, format!("{page}?format=html&lang=en"), "text/html", &["en"]),
        link(
            2,
            format!("{page}?format=html&lang={}#environmental_value", language.tag()),
            "text/html",
            &["ja", "en"],
        ),
        link(3, format!("{page}?format=jsonld"), "application/ld+json", &[]),
        link(4, export.clone(), "application/ld+json", &[]),
        link(5, export, "application/ld+json", &[]),
        link(6, events, "application/ld+json", &[]),
    ]
}

/// The link of `link_type` to redirect to: of several (the page in two languages), the one in
/// `language`.
pub fn redirect_target<'a>(links: &'a [Link], link_type: &LinkType, language: Language) -> Option<&'a Link> {
    let mut candidates = links.iter().filter(|link| link.link_type == link_type);
    let first = candidates.clone().next();
    candidates.find(|link| link.hreflang == [language.tag()]).or(first)
}

/// The RFC 9264 linkset (`application/linkset+json`) of the GS1-Conformant resolver standard.
pub fn linkset(place: Place<'_>, links: &[Link], description: Option<&str>) -> Value {
    let mut set = Map::new();
    set.insert("anchor".into(), json!(place.requested));
    if let Some(description) = description {
        set.insert("description".into(), json!(description));
    }
    for link in links {
        let mut target = Map::new();
        target.insert("href".into(), json!(link.href));
        target.insert("title".into(), json!(link.title));
        target.insert("type".into(), json!(link.media_type));
        if !link.hreflang.is_empty() {
            target.insert("hreflang".into(), json!(link.hreflang));
        }
        let targets = set
            .entry(link.link_type.uri())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(targets) = targets {
            targets.push(Value::Object(target));
        }
    }
    json!({"linkset": [Value::Object(set)]})
}

/// The RFC 8288 `Link` header value announcing the linkset of `place`.
pub fn linkset_header(place: Place<'_>) -> String {
    format!(
        "<{}?linkType=linkset>; rel=\"linkset\"; type=\"application/linkset+json\"",
        place.resolver_uri()
    )
}

/// The JSON-LD context of the passport view: GS1 Web Vocabulary terms by default (`@vocab`),
/// schema.org for names and dates, and junkan's own terms (`urn:junkan:passport:`) for what
/// neither vocabulary has; passport `data` and `links` are JSON literals (`@json`), because
/// their shape is the profile's, not a vocabulary's.
pub fn passport_context() -> &'static Value {
    static CONTEXT: OnceLock<Value> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        json!({
            "@vocab": GS1_VOCABULARY,
            "gs1": GS1_VOCABULARY,
            "schema": "https://schema.org/",
            "junkan": JUNKAN_PASSPORT_VOCABULARY,
            "name": "schema:name",
            "description": "schema:description",
            "dateCreated": {"@id": "schema:dateCreated", "@type": "schema:DateTime"},
            "dateModified": {"@id": "schema:dateModified", "@type": "schema:DateTime"},
            "requestedIdentifier": {"@id": "junkan:requestedIdentifier", "@type": "@id"},
            "passportId": "junkan:passportId",
            "granularity": "junkan:granularity",
            "owner": "junkan:ownerOrganization",
            "profile": "junkan:profile",
            "profileVersion": "junkan:profileVersion",
            "status": "junkan:lifecycleStatus",
            "statusLabel": {"@id": "junkan:lifecycleStatusLabel", "@container": "@language"},
            "version": "junkan:version",
            "accessLevel": "junkan:accessLevel",
            "summary": {"@id": "junkan:summary", "@type": "@json"},
            "data": {"@id": "junkan:data", "@type": "@json"},
            "components": {"@id": "junkan:links", "@type": "@json"},
            "withheld": {"@id": "junkan:withheld", "@container": "@set"}
        })
    })
}

/// The summary facts of `summary` that the reader's view holds, by name.
pub fn summary_facts(passport: &Passport, summary: &Summary) -> Map<String, Value> {
    summary
        .pointers()
        .filter_map(|(name, pointer)| {
            summary_value(&passport.data, pointer).map(|value| (name.to_owned(), value.clone()))
        })
        .collect()
}

/// The passport as the reader sees it, in JSON-LD. `@id` is the passport's own canonical
/// identifier; `requestedIdentifier` says what was asked for when a less specific passport
/// answered (an item falling back to its batch or model).
pub fn passport_json_ld(place: Place<'_>, passport: &Passport, summary: &Summary) -> Value {
    let facts = summary_facts(passport, summary);
    let (status_ja, status_en) = passport.status.labels();
    let mut document = Map::new();
    document.insert("@context".into(), passport_context().clone());
    document.insert("@id".into(), json!(passport.identifier));
    document.insert("@type".into(), json!("Product"));
    if passport.identifier != place.requested {
        document.insert("requestedIdentifier".into(), json!(place.requested));
    }
    for (name, key) in [("name", "name"), ("description", "description")] {
        if let Some(Value::String(text)) = facts.get(name) {
            document.insert(key.into(), json!(text));
        }
    }
    document.insert("passportId".into(), json!(passport.id.to_string()));
    document.insert("granularity".into(), json!(passport.granularity.as_str()));
    document.insert("owner".into(), json!(passport.owner_organization_id.to_string()));
    document.insert("profile".into(), json!(passport.profile));
    document.insert("profileVersion".into(), json!(passport.profile_version));
    document.insert("status".into(), json!(passport.status.as_str()));
    document.insert("statusLabel".into(), json!({"ja": status_ja, "en": status_en}));
    document.insert("version".into(), json!(passport.version));
    document.insert("accessLevel".into(), json!(passport.access_level));
    document.insert("summary".into(), Value::Object(facts));
    document.insert("data".into(), passport.data.clone());
    document.insert(
        "components".into(),
        serde_json::to_value(&passport.links).expect("passport links are plain data"),
    );
    document.insert("withheld".into(), json!(passport.withheld));
    document.insert("dateCreated".into(), json!(rfc3339(passport.created_at)));
    document.insert("dateModified".into(), json!(rfc3339(passport.version_created_at)));
    Value::Object(document)
}

fn rfc3339(time: time::OffsetDateTime) -> String {
    time.format(&time::format_description::well_known::Rfc3339)
        .expect("times of stored records are within RFC 3339's range")
}

/// The primary-key AIs of GS1 Digital Link (those the dictionary marks `dlpkey`).
pub fn primary_keys() -> Vec<String> {
    let mut keys = Vec::new();
    for entry in junkan_gs1::dictionary::entries() {
        if entry.primary_key_qualifiers.is_none() {
            continue;
        }
        let (Ok(first), Ok(last)) = (entry.first.parse::<u32>(), entry.last.parse::<u32>()) else {
            continue;
        };
        for number in first..=last {
            keys.push(format!("{number:0width$}", width = entry.first.len()));
        }
    }
    keys
}

/// The resolver description file of the GS1-Conformant resolver standard 1.x.
pub fn resolver_description(root: &str) -> Value {
    json!({
        "name": "junkan passport resolver (junkan 製品パスポート・リゾルバー)",
        "resolverRoot": root,
        "supportedPrimaryKeys": primary_keys(),
        "supportedLinkType": [
            {"namespace": GS1_VOCABULARY, "prefix": "gs1:"},
            {"namespace": UNTP_LINK_TYPES, "prefix": "untp:"}
        ],
        "linkTypeDefaultCanBeLinkset": false,
        "linkTypeDefaultCanBeAll": false,
        "supportedContextValuesEnumerated": [],
        "contact": {"fn": "junkan node operator"}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_types_are_named_by_curie_or_uri() {
        assert_eq!(link_type_named("gs1:pip").map(|t| t.curie), Some("gs1:pip"));
        assert_eq!(
            link_type_named("https://gs1.org/voc/pip").map(|t| t.curie),
            Some("gs1:pip")
        );
        assert_eq!(
            link_type_named("http://gs1.org/voc/traceability").map(|t| t.curie),
            Some("gs1:traceability")
        );
        assert_eq!(
            link_type_named(&format!("{UNTP_LINK_TYPES}dpp")).map(|t| t.curie),
            Some("untp:dpp")
        );
        assert_eq!(link_type_named("gs1:epil"), None);
        assert_eq!(link_type_named("pip"), None);
    }

    #[test]
    fn primary_keys_come_from_the_dictionary() {
        let keys = primary_keys();
        for key in [
            "00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010", "8013", "8017",
            "8018",
        ] {
            assert!(
                keys.iter().any(|candidate| candidate == key),
                "{key} missing from {keys:?}"
            );
        }
        assert!(!keys.iter().any(|key| key == "10" || key == "21"));
    }
}
