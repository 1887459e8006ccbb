//! The GS1-Conformant resolver at the node's root: `GET|HEAD|OPTIONS /{primary key AI}/...` for
//! every Digital Link primary key (and the Digital Link 1.1 convenience names such as `/gtin/`),
//! the resolver description at `/.well-known/gs1resolver`, and passport QR codes.
//!
//! A request is validated as a Digital Link URI (400 otherwise), answered by the most specific
//! passport the caller may read among the identifier and its less specific forms (an item falls
//! back to its batch, then its model; 404 when none), and rendered by content negotiation: the
//! page for people, JSON-LD for machines, or the RFC 9264 linkset; `?linkType=` redirects (307)
//! to one link, passing the query string on. Anonymous views come from the public view cache.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use junkan_gs1::DigitalLink;
use junkan_model::ids::PassportId;
use junkan_model::passport::{Passport, PassportRead};

use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthMethod, Caller, QueryMap};
use crate::handlers::path_id;
use crate::resolver::cache::{CacheKey, RenderedView, Representation};
use crate::resolver::links::{self, link_type_named, Place};
use crate::resolver::{page, qr, Language};
use crate::AppState;

/// Header values every resolver response carries (CORS, so that web apps anywhere can resolve).
const ALLOW_METHODS: &str = "GET, HEAD, OPTIONS";
const ALLOW_HEADERS: &str = "Accept, Accept-Language, Authorization, Junkan-Purpose";
const EXPOSE_HEADERS: &str = "Link, Location, Content-Language, X-Request-Id";
const VARY: &str = "Accept, Accept-Language";
/// Link relation naming the passport that answered (the requested identifier's or a less
/// specific one's).
pub const MATCHED_RELATION: &str = "urn:junkan:passport:matched";

/// The resolver's routes: one wildcard route per primary key AI and convenience name, so that no
/// other path of the node is taken.
pub fn routes() -> Router<AppState> {
    let mut router = Router::new().route(
        "/.well-known/gs1resolver",
        get(get_resolver_description).options(preflight),
    );
    let keys = links::primary_keys();
    let aliases = junkan_gs1::digital_link::CONVENIENCE_ALIASES
        .iter()
        .filter(|(_, ai)| keys.iter().any(|key| key == ai))
        .map(|(alias, _)| (*alias).to_owned());
    for segment in keys.iter().cloned().chain(aliases) {
        router = router.route(&format!("/{segment}/{{*rest}}"), get(resolve).options(preflight));
    }
    router.layer(axum::middleware::map_response(with_cors))
}

async fn with_cors(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
    response
}

/// CORS preflight and OPTIONS: what the resolver allows.
pub async fn preflight() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(header::ALLOW, HeaderValue::from_static(ALLOW_METHODS));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ALLOW_METHODS),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
    response
}

/// The resolver description file of the GS1-Conformant resolver standard.
#[utoipa::path(get, path = "/.well-known/gs1resolver", tag = "resolver",
    responses((status = 200, description = "Resolver description (GS1-Conformant resolver 1.x)", content_type = "application/json")))]
pub async fn get_resolver_description(State(state): State<AppState>) -> Response {
    let body = links::resolver_description(&state.settings.issuer);
    let mut response = axum::Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    response
}

/// What a resolver request asks for.
#[derive(Debug, Clone, PartialEq)]
enum Asked {
    /// A representation, with the media type to answer in.
    View(Representation, &'static str),
    /// A redirect to the link of this type.
    Redirect(&'static links::LinkType),
}

/// The parameters the resolver reads itself; all others (and all of these but `linkType`) are
/// passed on to link targets.
#[derive(Debug, Default)]
struct ResolverQuery {
    pairs: Vec<(String, String)>,
    link_type: Option<String>,
    format: Option<String>,
    lang: Option<String>,
}

impl ResolverQuery {
    fn parse(query: Option<&str>) -> ApiResult<ResolverQuery> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or_default())
            .map_err(|error| ApiError::malformed(format!("the query string is malformed: {error}")))?;
        let mut parsed = ResolverQuery::default();
        for (name, value) in &pairs {
            let slot = match name.as_str() {
                "linkType" => &mut parsed.link_type,
                "format" => &mut parsed.format,
                "lang" => &mut parsed.lang,
                _ => continue,
            };
            if slot.replace(value.clone()).is_some() {
                return Err(ApiError::invalid(vec![junkan_model::Violation::new(
                    format!("?{name}"),
                    "is given more than once",
                )]));
            }
        }
        parsed.pairs = pairs;
        Ok(parsed)
    }

    /// The parameters to pass on to a link target: all but `linkType`.
    fn passed_on(&self) -> impl Iterator<Item = &(String, String)> {
        self.pairs.iter().filter(|(name, _)| name != "linkType")
    }
}

fn query_problem(name: &str, message: String) -> ApiError {
    ApiError::invalid(vec![junkan_model::Violation::new(format!("?{name}"), message)])
}

/// Reads `?linkType=`, `?format=` and the `Accept` header.
fn asked(query: &ResolverQuery, headers: &HeaderMap) -> ApiResult<Asked> {
    if let Some(link_type) = &query.link_type {
        return match link_type.as_str() {
            "all" | "linkset" => Ok(Asked::View(Representation::Linkset, "application/linkset+json")),
            name => link_type_named(name).map(Asked::Redirect).ok_or_else(|| {
                ApiError::not_found(format!(
                    "this resolver has no link of type {name:?}; GET ?linkType=linkset lists the links"
                ))
            }),
        };
    }
    if let Some(format) = &query.format {
        return match format.as_str() {
            "html" => Ok(Asked::View(Representation::Page, "text/html; charset=utf-8")),
            "jsonld" => Ok(Asked::View(Representation::JsonLd, "application/ld+json")),
            "json" => Ok(Asked::View(Representation::JsonLd, "application/json")),
            "linkset" => Ok(Asked::View(Representation::Linkset, "application/linkset+json")),
            other => Err(query_problem(
                "format",
                format!("{other:?} is not a format: use html, jsonld, json or linkset"),
            )),
        };
    }
    let accept = headers.get(header::ACCEPT).and_then(|value| value.to_str().ok());
    negotiate(accept).map(|(representation, media_type)| Asked::View(representation, media_type))
}

/// The media types the resolver answers in, most preferred first on equal quality (the page is
/// the default link).
const OFFERED: [(&str, Representation, &str); 4] = [
    ("text/html", Representation::Page, "text/html; charset=utf-8"),
    ("application/ld+json", Representation::JsonLd, "application/ld+json"),
    ("application/json", Representation::JsonLd, "application/json"),
    (
        "application/linkset+json",
        Representation::Linkset,
        "application/linkset+json",
    ),
];

/// Proactive negotiation over `Accept` (RFC 9110 §12.5.1): each offered type takes the quality of
/// the most specific range matching it; the best wins, the page on ties.
fn negotiate(accept: Option<&str>) -> ApiResult<(Representation, &'static str)> {
    let Some(accept) = accept.filter(|accept| !accept.trim().is_empty()) else {
        return Ok((Representation::Page, OFFERED[0].2));
    };
    let ranges: Vec<(String, f32)> = accept
        .split(',')
        .map(|range| {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let quality = parts
                .filter_map(|part| part.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (media, quality)
        })
        .collect();
    let mut best: Option<(f32, usize)> = None;
    for (index, (offered, _, _)) in OFFERED.iter().enumerate() {
        let major = offered.split('/').next().unwrap_or_default();
        let quality = ranges
            .iter()
            .filter_map(|(media, quality)| {
                let specificity = if media == offered {
                    3
                } else if media.strip_suffix("/*") == Some(major) {
                    2
                } else if media == "*/*" {
                    1
                } else {
                    return None;
                };
                Some((specificity, *quality))
            })
            .max_by_key(|(specificity, _)| *specificity)
            .map_or(0.0, |(_, quality)| quality);
        if quality > 0.0 && best.is_none_or(|(best_quality, _)| quality > best_quality) {
            best = Some((quality, index));
        }
    }
    best.map(|(_, index)| (OFFERED[index].1, OFFERED[index].2)).ok_or_else(|| {
        ApiError::not_acceptable(format!(
            "cannot answer in {accept}; ask for text/html, application/ld+json, application/json or application/linkset+json"
        ))
    })
}

/// The identifiers to look for, most specific first: the canonical form, then the forms without
/// the last qualifier, one by one (serial, then lot, then variant).
fn candidates(link: &DigitalLink) -> Vec<String> {
    (0..=link.qualifiers.len())
        .rev()
        .map(|keep| {
            DigitalLink {
                primary: link.primary.clone(),
                qualifiers: link.qualifiers[..keep].to_vec(),
                attributes: Vec::new(),
            }
            .canonical()
        })
        .collect()
}

/// Resolves a GS1 Digital Link URI.
#[utoipa::path(get, path = "/01/{gtin}", tag = "resolver",
    params(
        ("gtin" = String, Path, description = "GTIN; qualifiers follow as /22/{cpv}/10/{lot}/21/{serial}. Every GS1 Digital Link primary key (00, 01, 253, 255, 401, 402, 414, 417, 8003, 8004, 8006, 8010, 8013, 8017, 8018) and convenience name (/gtin/, /sscc/, ...) resolves the same way."),
        ("linkType" = Option<String>, Query, description = "A link type (gs1:pip, gs1:sustainabilityInfo, gs1:masterData, gs1:certificationInfo, untp:dpp, gs1:traceability, gs1:defaultLink, or their full URIs): 307 to that link with the other query parameters passed on; `linkset` or `all`: the linkset"),
        ("format" = Option<String>, Query, description = "html, jsonld, json or linkset, instead of Accept"),
        ("lang" = Option<String>, Query, description = "ja (default) or en, instead of Accept-Language"),
    ),
    responses(
        (status = 200, description = "The passport page (text/html), its JSON-LD view (application/ld+json) or its linkset (application/linkset+json); the Link header names the passport that answered (rel urn:junkan:passport:matched) and the linkset"),
        (status = 307, description = "Redirect to the link of the asked link type"),
        (status = 400, description = "Not a valid GS1 Digital Link URI", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No passport you may read, or no link of that type", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 406, description = "No acceptable representation", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []), ("cookie" = [])))]
pub async fn resolve(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let path_and_query = uri.path_and_query().map_or(uri.path(), |value| value.as_str());
    let link = DigitalLink::parse(&format!("https://resolver.invalid{path_and_query}"))
        .map_err(|error| ApiError::invalid_digital_link(error.to_string()))?;
    let query = ResolverQuery::parse(uri.query())?;
    let asked = asked(&query, &headers)?;
    let accept_language = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok());
    let language =
        Language::choose(query.lang.as_deref(), accept_language).map_err(|message| query_problem("lang", message))?;
    let requested = link.canonical();
    let place = Place {
        root: &state.settings.issuer,
        requested: &requested,
    };
    let anonymous = caller.method == AuthMethod::Anonymous;

    let (representation, media_type) = match asked {
        Asked::Redirect(link_type) => {
            let passport = find(&state, &caller, &link).await?;
            let all = links::links(place, &passport, language);
            let target = links::redirect_target(&all, link_type, language)
                .ok_or_else(|| ApiError::not_found(format!("no {} link for this passport", link_type.curie)))?;
            let location = pass_query_on(&target.href, query.passed_on());
            let mut response = (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, location)]).into_response();
            decorate(
                &mut response,
                place,
                &passport.identifier,
                anonymous,
                state.resolver.ttl_seconds,
            );
            return Ok(response);
        }
        Asked::View(representation, media_type) => (representation, media_type),
    };

    let key = CacheKey::new(&requested, representation, language);
    let view = match anonymous.then(|| state.resolver.views.get(&key)).flatten() {
        Some(view) => view,
        None => {
            let generation = state.resolver.views.generation();
            let passport = find(&state, &caller, &link).await?;
            let view = Arc::new(render(&state, &caller.actor, place, &passport, representation, language).await?);
            if anonymous {
                state.resolver.views.put(key, view.clone(), generation);
            }
            view
        }
    };
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(view.body.clone())
    };
    let mut response = Response::new(body);
    let content_type = if representation == Representation::JsonLd {
        media_type
    } else {
        view.content_type
    };
    let response_headers = response.headers_mut();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(view.body.len()));
    if representation != Representation::JsonLd {
        response_headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(language.tag()));
    }
    if representation == Representation::Page {
        crate::web::security_headers(response_headers, state.settings.secure_cookies);
    }
    decorate(
        &mut response,
        place,
        &view.matched,
        anonymous,
        state.resolver.ttl_seconds,
    );
    Ok(response)
}

/// The most specific passport the caller may read among the identifier's forms: one store call
/// with the caller's actor.
async fn find(state: &AppState, caller: &Caller, link: &DigitalLink) -> ApiResult<Passport> {
    let identifiers = candidates(link);
    state
        .store
        .find_passport(&caller.actor, &identifiers, PassportRead::default())
        .await
        .map_err(|error| match error {
            junkan_store::StoreError::NotFound { .. } => ApiError::not_found(format!(
                "no passport of {} (or of its batch or model) that you may see",
                identifiers[0]
            )),
            other => other.into(),
        })
}

async fn render(
    state: &AppState,
    actor: &junkan_model::principal::Actor,
    place: Place<'_>,
    passport: &Passport,
    representation: Representation,
    language: Language,
) -> ApiResult<RenderedView> {
    let profile = state
        .resolver
        .profiles
        .get(state.store.as_ref(), &passport.profile, &passport.profile_version)
        .await?;
    let all = links::links(place, passport, language);
    let (body, content_type) = match representation {
        Representation::Page => {
            let svg = qr::svg(&passport.identifier, 200).map_err(|error| ApiError::internal(&error))?;
            // The certificates the caller may read, with their verification status (a
            // certificate of a public passport is public).
            let certificates =
                crate::web::certificates::passport_rows(state, actor, language, &passport.id.to_string()).await?;
            let signature = crate::certificates::passport_signature(state, passport, &profile).await;
            let html = page::render(page::PageInput {
                certificates: &certificates,
                signature: &signature,
                passport,
                profile: &profile,
                requested: place.requested,
                links: &all,
                language,
                qr_svg: &svg,
            });
            (html.into_bytes(), "text/html; charset=utf-8")
        }
        Representation::JsonLd => {
            let document = links::passport_json_ld(place, passport, &profile.profile.summary);
            (
                serde_json::to_vec(&document).map_err(|error| ApiError::internal(&error))?,
                "application/ld+json",
            )
        }
        Representation::Linkset => {
            let facts = links::summary_facts(passport, &profile.profile.summary);
            let description = facts.get("name").and_then(serde_json::Value::as_str);
            let document = links::linkset(place, &all, description);
            (
                serde_json::to_vec(&document).map_err(|error| ApiError::internal(&error))?,
                "application/linkset+json",
            )
        }
    };
    Ok(RenderedView {
        body: body.into(),
        content_type,
        matched: passport.identifier.clone(),
    })
}

/// Headers of every resolved answer: which passport answered and where the linkset is, `Vary`,
/// and caching (public views briefly, others never by shared caches).
fn decorate(response: &mut Response, place: Place<'_>, matched: &str, anonymous: bool, ttl_seconds: u64) {
    let matched_place = Place {
        root: place.root,
        requested: matched,
    };
    let link = format!(
        "<{}>; rel=\"{MATCHED_RELATION}\"; anchor=\"{}\", {}",
        matched_place.resolver_uri(),
        place.requested,
        links::linkset_header(place)
    );
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&link) {
        headers.insert(header::LINK, value);
    }
    headers.insert(header::VARY, HeaderValue::from_static(VARY));
    let cache_control = if anonymous {
        HeaderValue::from_str(&format!("public, max-age={ttl_seconds}")).unwrap_or(HeaderValue::from_static("no-cache"))
    } else {
        HeaderValue::from_static("private, no-store")
    };
    headers.insert(header::CACHE_CONTROL, cache_control);
}

/// `target` with the request's parameters passed on: a parameter the target already has takes
/// the request's value; the fragment stays last.
fn pass_query_on<'a>(target: &str, passed: impl Iterator<Item = &'a (String, String)>) -> String {
    let (rest, fragment) = match target.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (target, None),
    };
    let (base, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    for (name, value) in passed {
        match pairs.iter_mut().find(|(existing, _)| existing == name) {
            Some(pair) => pair.1 = value.clone(),
            None => pairs.push((name.clone(), value.clone())),
        }
    }
    let mut location = base.to_owned();
    if !pairs.is_empty() {
        location.push('?');
        location.push_str(&serde_urlencoded::to_string(&pairs).unwrap_or_default());
    }
    if let Some(fragment) = fragment {
        location.push('#');
        location.push_str(fragment);
    }
    location
}

/// A passport's QR code, encoding its canonical GS1 Digital Link URI (or, with
/// `?target=resolver`, the same path on this node, which a phone opens here directly).
#[utoipa::path(get, path = "/api/v1/passports/{id}/qr", tag = "resolver",
    params(
        ("id" = String, Path, description = "Passport id"),
        ("format" = Option<String>, Query, description = "svg (default) or png"),
        ("size" = Option<u32>, Query, description = "Image size in pixels, 64-2048 (default 256)"),
        ("target" = Option<String>, Query, description = "canonical (default): the identifier as stored (https://id.gs1.org/...); resolver: the same Digital Link on this node"),
    ),
    responses(
        (status = 200, description = "The QR code (image/svg+xml or image/png)"),
        (status = 404, description = "No passport you may see", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad parameters", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []), ("cookie" = [])))]
pub async fn get_passport_qr(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    mut query: QueryMap,
) -> ApiResult<Response> {
    let id: PassportId = path_id(&id, "passport")?;
    let format = query.text("format").unwrap_or_else(|| "svg".to_owned());
    let size = query.parsed::<u32>("size", "a whole number of pixels");
    let target = query.text("target").unwrap_or_else(|| "canonical".to_owned());
    let mut problems = Vec::new();
    if !matches!(format.as_str(), "svg" | "png") {
        problems.push(junkan_model::Violation::new(
            "?format",
            format!("{format:?} is not svg or png"),
        ));
    }
    if size.is_some_and(|size| !(qr::MIN_SIZE..=qr::MAX_SIZE).contains(&size)) {
        problems.push(junkan_model::Violation::new(
            "?size",
            format!("must be between {} and {} pixels", qr::MIN_SIZE, qr::MAX_SIZE),
        ));
    }
    if !matches!(target.as_str(), "canonical" | "resolver") {
        problems.push(junkan_model::Violation::new(
            "?target",
            format!("{target:?} is not canonical or resolver"),
        ));
    }
    query.finish()?;
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let size = size.unwrap_or(qr::DEFAULT_SIZE);
    let passport = state
        .store
        .get_passport(&caller.actor, id, PassportRead::default())
        .await?;
    let text = if target == "resolver" {
        if !passport
            .identifier
            .starts_with(&format!("https://{}/", junkan_gs1::CANONICAL_HOST))
        {
            return Err(ApiError::invalid(vec![junkan_model::Violation::new(
                "?target",
                "this passport's identifier is not a GS1 Digital Link, so this resolver cannot answer it",
            )]));
        }
        Place {
            root: &state.settings.issuer,
            requested: &passport.identifier,
        }
        .resolver_uri()
    } else {
        passport.identifier.clone()
    };
    let (body, content_type) = if format == "png" {
        (qr::png(&text, size), "image/png")
    } else {
        (qr::svg(&text, size).map(String::into_bytes), "image/svg+xml")
    };
    let body = body.map_err(|error| ApiError::invalid(vec![junkan_model::Violation::new("", error.to_string())]))?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_picks_the_best_offered_type() {
        let pick = |accept: Option<&str>| negotiate(accept).ok();
        assert_eq!(pick(None).map(|p| p.0), Some(Representation::Page));
        assert_eq!(pick(Some("*/*")).map(|p| p.0), Some(Representation::Page));
        assert_eq!(
            pick(Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")).map(|p| p.0),
            Some(Representation::Page)
        );
        assert_eq!(
            pick(Some("application/json")),
            Some((Representation::JsonLd, "application/json"))
        );
        assert_eq!(
            pick(Some("application/ld+json, application/json;q=0.5")),
            Some((Representation::JsonLd, "application/ld+json"))
        );
        assert_eq!(
            pick(Some("application/linkset+json")).map(|p| p.0),
            Some(Representation::Linkset)
        );
        assert_eq!(
            pick(Some("text/*;q=0.2, application/json")).map(|p| p.0),
            Some(Representation::JsonLd)
        );
        assert_eq!(pick(Some("image/png")), None);
        assert_eq!(pick(Some("text/html;q=0")), None);
    }

    #[test]
    fn candidates_drop_qualifiers_from_the_end() {
        let link = DigitalLink::parse("https://x.example/01/09506000134352/10/L1/21/S1").expect("valid");
        assert_eq!(
            candidates(&link),
            [
                "https://id.gs1.org/01/09506000134352/10/L1/21/S1",
                "https://id.gs1.org/01/09506000134352/10/L1",
                "https://id.gs1.org/01/09506000134352"
            ]
        );
    }

    #[test]
    fn queries_are_passed_on_with_the_target_s_own_parameters_overridden() {
        let passed = [
            ("lang".to_owned(), "en".to_owned()),
            ("17".to_owned(), "261231".to_owned()),
        ];
        assert_eq!(
            pass_query_on(
                "https://n.example/01/1?format=html&lang=ja#environmental_value",
                passed.iter()
            ),
            "https://n.example/01/1?format=html&lang=en&17=261231#environmental_value"
        );
        assert_eq!(pass_query_on("https://n.example/x", [].iter()), "https://n.example/x");
    }
}
