//! Verifiable credentials of records (issue 9): any record the caller may read, exported as a
//! `vc+jwt` (or SD-JWT VC) issued by the record's owner organization; revocation by the
//! issuer's administrators; and `POST /api/v1/verify`, which checks a credential's signature,
//! issuer key, validity, revocation and that its subject is what the node holds.
//!
//! Every record is read through the store with the caller's actor (same read rule, same audit),
//! so a credential is never issued about what the caller may not read (404, as a read would be).

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use junkan_credential::jose::base64url_decode;
use junkan_credential::{
    every_pointer, issue_sd_jwt_vc, verify_sd_jwt_vc, verify_vc_jwt, Check, CheckName, KeyResolver, Outcome,
    SdJwtVcRequest, VerificationContext, VerificationMethod, VerificationReport,
};
use junkan_model::access::AccessLevel;
use junkan_model::ids::{FollowUpId, LedgerId, OrganizationId, PactPartnerId};
use junkan_model::ouranos::{PartFilter, TradeFilter};
use junkan_model::page::PageRequest;
use junkan_model::passport::PassportRead;
use junkan_model::principal::Actor;
use junkan_partners::FollowUpFilter;
use junkan_store::{IssuedCredential, KeyOwner, NewIssuedCredential};

use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, QueryMap, Valid};
use crate::handlers::path_id;
use crate::trust::{self, RECORD_CREDENTIAL_TYPE};
use crate::AppState;

/// The kinds of record a credential can be exported for (`/api/v1/credentials/{kind}/{id}`).
pub const CREDENTIAL_KINDS: [&str; 38] = [
    "passport",
    "footprint",
    "event",
    "indicator_value",
    "material_flow",
    "indicator_target",
    "ledger_claim",
    "facility",
    "organization",
    "partner_target",
    "certification",
    "grant",
    "access_request",
    "dataset_offer",
    "capture",
    "ledger",
    "ouranos_part",
    "ouranos_trade",
    "partner_membership",
    "partner_follow_up",
    "named_query",
    "subscription",
    "remote_request",
    "received_record",
    "dsp_negotiation",
    "dsp_transfer",
    // Accounts and trust material, never with their secrets: the caller's organization's.
    "user",
    "client",
    "api_key",
    "signing_key",
    "credential",
    "certificate",
    // The node's own configuration, stated by the node (`Issuer::Node`).
    "profile",
    "industry",
    "certificate_scheme",
    "peer",
    "partner_secretariat",
    "pact_partner",
];

/// Who states a record in its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issuer {
    /// The record's owner organization (its key; revocable through its status list).
    Organization(OrganizationId),
    /// The node, about its own configuration (its key; not revocable: `trust::issue_as_node`).
    Node,
}

impl Issuer {
    /// The issuer's DID.
    pub fn did(self, state: &AppState) -> String {
        match self {
            Issuer::Organization(organization) => trust::organization_did(state, organization),
            Issuer::Node => trust::node_did(state),
        }
    }
}

/// Members that describe a record's place among its versions or its readers' view rather than
/// its content (a later version or a correction changes them): left out of a credential's
/// content, so that a superseded version still matches what it said.
const VOLATILE_MEMBERS: [&str; 6] = [
    "latest_version",
    "superseded_by",
    "current",
    "status",
    "visibility",
    "links",
];

/// The members of a subscription its deliveries change.
const SUBSCRIPTION_DELIVERY_MEMBERS: [&str; 2] = ["lastNotifiedAt", "lastError"];

/// The members of a footprint a supersede changes (PACT `status`, `updated`, `statusComment`).
const FOOTPRINT_STATUS_MEMBERS: [&str; 3] = ["status", "updated", "statusComment"];

/// A record as a credential states it.
#[derive(Debug, Clone)]
pub struct RecordContent {
    /// Who states it: the owner organization, or the node for its own configuration.
    pub issuer: Issuer,
    /// The record's content (the API's JSON less [`VOLATILE_MEMBERS`]; for a passport, the view
    /// at `access_level`; for an event, its body as captured).
    pub content: Value,
    /// The version, for versioned records.
    pub version: Option<i64>,
    /// A passport's access level of the view.
    pub access_level: Option<AccessLevel>,
    /// How the tamper-evident log names the record (kind, id).
    pub log_kind: &'static str,
    /// The log id.
    pub log_id: String,
}

fn content_of(value: &impl Serialize, strip: bool) -> ApiResult<Value> {
    let mut value = serde_json::to_value(value).map_err(|error| ApiError::internal(&error))?;
    if strip {
        if let Some(object) = value.as_object_mut() {
            for member in VOLATILE_MEMBERS {
                object.remove(member);
            }
        }
    }
    Ok(value)
}

/// What to read: a record of `kind` with `id`, its version, the view asked for (passports) and
/// the ledger of a claim.
#[derive(Debug, Clone, Default)]
pub struct RecordRef {
    /// The record's kind (one of [`CREDENTIAL_KINDS`]).
    pub kind: String,
    /// Its id.
    pub id: String,
    /// A passport's or partner target's version.
    pub version: Option<i64>,
    /// A passport view below the reader's level.
    pub view: Option<AccessLevel>,
    /// The ledger of a `ledger_claim`.
    pub ledger: Option<LedgerId>,
    /// The named query of a `subscription`.
    pub query: Option<String>,
}

/// Reads the record `reference` names with `actor` (the store's read rule and audit) and states
/// its content. Not readable: 404 (as a read).
pub async fn read_record(state: &AppState, actor: &Actor, reference: &RecordRef) -> ApiResult<RecordContent> {
    let store = &state.store;
    let id = reference.id.as_str();
    let plain = |owner: OrganizationId, content: Value, log_kind: &'static str| RecordContent {
        issuer: Issuer::Organization(owner),
        content,
        version: None,
        access_level: None,
        log_kind,
        log_id: id.to_owned(),
    };
    Ok(match reference.kind.as_str() {
        "passport" => {
            let passport = store
                .get_passport(
                    actor,
                    path_id(id, "passport")?,
                    PassportRead {
                        version: reference.version,
                        view: reference.view,
                    },
                )
                .await?;
            RecordContent {
                issuer: Issuer::Organization(passport.owner_organization_id),
                version: Some(passport.version),
                access_level: Some(passport.access_level),
                content: content_of(&passport, true)?,
                log_kind: "passport",
                log_id: id.to_owned(),
            }
        }
        "footprint" => {
            let footprint = store.get_footprint(actor, path_id(id, "footprint")?).await?;
            let mut content = content_of(&footprint.footprint, false)?;
            // A supersede changes exactly these (Active → Deprecated, when, why): left out, so
            // that a deprecated footprint's credential still matches what it stated.
            if let Some(object) = content.as_object_mut() {
                for member in FOOTPRINT_STATUS_MEMBERS {
                    object.remove(member);
                }
            }
            plain(footprint.owner_organization_id, content, "footprint")
        }
        "event" => {
            let event = store.get_event(actor, id).await?;
            plain(event.owner_organization_id, event.event.body, "event")
        }
        "indicator_value" => {
            let value = store
                .get_indicator_value(actor, path_id(id, "indicator value")?)
                .await?;
            plain(
                value.owner_organization_id,
                content_of(&value, true)?,
                "indicator_value",
            )
        }
        "material_flow" => {
            let flow = store.get_material_flow(actor, path_id(id, "material flow")?).await?;
            plain(flow.owner_organization_id, content_of(&flow, true)?, "material_flow")
        }
        "indicator_target" => {
            let target = store
                .get_indicator_target(actor, path_id(id, "indicator target")?)
                .await?;
            plain(
                target.owner_organization_id,
                content_of(&target, true)?,
                "indicator_target",
            )
        }
        "ledger_claim" => {
            let Some(ledger_id) = reference.ledger else {
                return Err(ApiError::invalid(vec![junkan_model::Violation::new(
                    "?ledger",
                    "a ledger claim is named with its ledger (?ledger=)",
                )]));
            };
            let ledger = store.get_ledger(actor, ledger_id).await?;
            let claim = ledger
                .claims
                .iter()
                .find(|claim| claim.id.to_string() == id)
                .ok_or_else(|| ApiError::not_found(format!("no ledger claim {id} in ledger {ledger_id}")))?;
            RecordContent {
                issuer: Issuer::Organization(ledger.ledger.owner_organization_id),
                content: content_of(claim, false)?,
                version: None,
                access_level: None,
                log_kind: "ledger",
                log_id: ledger_id.to_string(),
            }
        }
        "facility" => {
            let facility = store.get_facility(actor, path_id(id, "facility")?).await?;
            plain(facility.organization_id, content_of(&facility, false)?, "facility")
        }
        "organization" => {
            let organization = store.get_organization(path_id(id, "organization")?).await?;
            plain(organization.id, content_of(&organization, false)?, "organization")
        }
        "partner_target" => {
            let target = store
                .get_partner_target(actor, path_id(id, "partner target")?, reference.version)
                .await?;
            RecordContent {
                issuer: Issuer::Organization(target.organization_id),
                version: Some(target.version),
                access_level: None,
                content: content_of(&target, true)?,
                log_kind: "partner_target",
                log_id: id.to_owned(),
            }
        }
        "certification" => {
            let certification = find_certification(state, id).await?;
            plain(
                certification.certifier_organization_id,
                content_of(&certification, true)?,
                "certification",
            )
        }
        "grant" => {
            let grant = store.get_grant(actor, path_id(id, "grant")?).await?;
            plain(grant.owner_organization_id, content_of(&grant, true)?, "grant")
        }
        // A request is its requester's statement; the owner's decision is part of its record.
        "access_request" => {
            let request = store.get_access_request(actor, path_id(id, "access request")?).await?;
            plain(
                request.requester_organization_id,
                content_of(&request, true)?,
                "access_request",
            )
        }
        "dataset_offer" => {
            let offer = store.get_dataset_offer(actor, path_id(id, "dataset offer")?).await?;
            plain(offer.owner_organization_id, content_of(&offer, true)?, "dataset_offer")
        }
        "capture" => {
            let job = store.get_capture(actor, path_id(id, "capture")?).await?;
            let owner = job
                .owner_organization_id
                .ok_or_else(|| ApiError::not_found(format!("capture {id} has no owner organization")))?;
            plain(owner, content_of(&job, true)?, "capture")
        }
        "ledger" => {
            let ledger = store.get_ledger(actor, path_id(id, "ledger")?).await?;
            plain(
                ledger.ledger.owner_organization_id,
                content_of(&ledger, true)?,
                "ledger",
            )
        }
        "ouranos_part" => {
            let trace_id = path_id::<uuid::Uuid>(id, "part trace")?;
            let filter = PartFilter {
                trace_id: Some(trace_id),
                ..PartFilter::default()
            };
            let part = store
                .list_ouranos_parts(actor, &filter, &PageRequest::first(1))
                .await?
                .items
                .into_iter()
                .next()
                .ok_or_else(|| ApiError::not_found(format!("no part {id} that you may read")))?;
            // As the Ouranos API writes it (PartsModel).
            plain(part.operator_id, super::ouranos::json::part_json(&part), "ouranos_part")
        }
        // A trade request is its buyer's statement; the supplier reads it among its responses.
        "ouranos_trade" => {
            let trade_id = path_id::<uuid::Uuid>(id, "trade")?;
            let trade = find_trade(state, actor, trade_id).await?;
            // As the Ouranos API writes it (TradeModel).
            plain(
                trade.downstream_operator_id,
                super::ouranos::json::trade_json(&trade),
                "ouranos_trade",
            )
        }
        "partner_membership" => {
            let membership = store.get_membership(actor, path_id(id, "membership")?).await?;
            plain(
                membership.organization_id,
                content_of(&membership, false)?,
                "partner_membership",
            )
        }
        "partner_follow_up" => {
            let follow_up_id = path_id::<FollowUpId>(id, "follow-up")?;
            let follow_up = store
                .list_follow_ups(actor, &FollowUpFilter::default())
                .await?
                .into_iter()
                .find(|follow_up| follow_up.id == follow_up_id)
                .ok_or_else(|| ApiError::not_found(format!("no follow-up {id} that you may read")))?;
            plain(
                follow_up.organization_id,
                content_of(&follow_up, false)?,
                "partner_follow_up",
            )
        }
        // A named query is named within its organization: the caller's.
        "named_query" => {
            let query = store.get_named_query(actor, id).await?;
            let owner = query
                .owner_organization_id
                .ok_or_else(|| ApiError::not_found(format!("named query {id:?} has no owner organization")))?;
            RecordContent {
                log_id: format!("{owner}/{id}"),
                ..plain(owner, content_of(&query, false)?, "query")
            }
        }
        "subscription" => {
            let Some(query_name) = reference.query.as_deref() else {
                return Err(ApiError::invalid(vec![junkan_model::Violation::new(
                    "?query",
                    "a subscription is named with its named query (?query=)",
                )]));
            };
            let subscription = store
                .get_subscription(actor, query_name, path_id(id, "subscription")?)
                .await?;
            let owner = subscription
                .owner_organization_id
                .ok_or_else(|| ApiError::not_found(format!("subscription {id} has no owner organization")))?;
            let mut content = content_of(&subscription, false)?;
            if let Some(object) = content.as_object_mut() {
                for member in SUBSCRIPTION_DELIVERY_MEMBERS {
                    object.remove(member);
                }
            }
            plain(owner, content, "subscription")
        }
        "pact_partner" => {
            let partner_id = path_id::<PactPartnerId>(id, "PACT partner")?;
            let partner = store
                .list_pact_partners(actor)
                .await?
                .into_iter()
                .find(|partner| partner.id == partner_id)
                .ok_or_else(|| ApiError::not_found(format!("no PACT partner {id} that you may read")))?;
            // Node configuration on behalf of the organization (node administrators register it;
            // the client secret is never serialised).
            node_record(content_of(&partner, false)?, "pact_partner", id)
        }
        "remote_request" => {
            let request = store.get_remote_request(actor, path_id(id, "remote request")?).await?;
            plain(request.organization_id, content_of(&request, false)?, "remote_request")
        }
        // The receiver's statement of what it received, from whom and when it verified it (the
        // provider's own credential is part of it).
        "received_record" => {
            let received = store
                .get_received_record(actor, path_id(id, "received record")?)
                .await?;
            plain(
                received.organization_id,
                content_of(&received, false)?,
                "received_record",
            )
        }
        "dsp_negotiation" => {
            let negotiation = store.dsp_negotiation(actor, path_id(id, "negotiation")?).await?;
            plain(
                negotiation.organization_id,
                content_of(&negotiation, false)?,
                "dsp_negotiation",
            )
        }
        "dsp_transfer" => {
            let transfer = store.dsp_transfer(actor, path_id(id, "transfer")?).await?;
            plain(transfer.organization_id, content_of(&transfer, false)?, "dsp_transfer")
        }
        // Accounts of the caller's organization, as its administrators list them (no password
        // hash, client secret or key hash is ever part of them).
        "user" => {
            let organization = own_organization(actor)?;
            let user_id = path_id::<junkan_model::ids::UserId>(id, "user")?;
            let user = first_in_pages(
                |page| async move { store.list_users(actor, organization, &page).await },
                |user: &junkan_model::principal::User| user.id == user_id,
            )
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no user {id} of your organization")))?;
            plain(user.organization_id, content_of(&user, false)?, "user")
        }
        "client" => {
            let organization = own_organization(actor)?;
            let client = store
                .list_clients(actor, organization)
                .await?
                .into_iter()
                .find(|client| client.id.to_string() == id)
                .ok_or_else(|| ApiError::not_found(format!("no client {id} of your organization")))?;
            plain(client.organization_id, content_of(&client, false)?, "client")
        }
        "api_key" => {
            let organization = own_organization(actor)?;
            let key = store
                .list_api_keys(actor, organization)
                .await?
                .into_iter()
                .find(|key| key.id.to_string() == id)
                .ok_or_else(|| ApiError::not_found(format!("no API key {id} of your organization")))?;
            plain(key.organization_id, content_of(&key, false)?, "api_key")
        }
        // A signing key's public parts (as its owner's DID document publishes them), stated by
        // its owner: the caller's organization's keys, then the node's.
        "signing_key" => {
            let mut owners = Vec::new();
            if let Some(organization) = actor.organization_id {
                owners.push(KeyOwner::Organization(organization));
            }
            owners.push(KeyOwner::Node);
            let mut found = None;
            for owner in owners {
                if let Some(key) = store.trust_keys(owner).await?.into_iter().find(|key| key.kid == id) {
                    found = Some((owner, key));
                    break;
                }
            }
            let (owner, key) = found
                .ok_or_else(|| ApiError::not_found(format!("no signing key {id} of your organization or the node")))?;
            let (issuer, did) = match owner {
                KeyOwner::Organization(organization) => (
                    Issuer::Organization(organization),
                    trust::organization_did(state, organization),
                ),
                KeyOwner::Node => (Issuer::Node, trust::node_did(state)),
            };
            let method = trust::verification_method(&did, &key)?;
            RecordContent {
                issuer,
                content: json!({
                    "kid": key.kid,
                    "id": method.id,
                    "controller": did,
                    "publicKeyJwk": junkan_credential::did::public_key_jwk(&method.public_key),
                    "created": junkan_credential::vc::format_time(key.created_at),
                    "retired": key.retired_at.map(junkan_credential::vc::format_time),
                }),
                version: None,
                access_level: None,
                log_kind: "signing_key",
                log_id: id.to_owned(),
            }
        }
        // An issued credential's entry (its status index, key and revocation), stated by its issuer.
        "credential" => {
            let entry = store.issued_credential(actor, id).await?;
            let issuer = entry.issuer;
            plain(issuer, content_of(&CredentialEntry::from(entry), false)?, "credential")
        }
        // A conformity certificate as stored, stated by its certifier (its own credential is
        // `GET /api/v1/certificates/{id}/credential`).
        "certificate" => {
            let certificate = store.get_certificate(actor, path_id(id, "certificate")?).await?;
            plain(
                certificate.certifier_organization_id,
                content_of(&certificate, true)?,
                "certificate",
            )
        }
        // The node's configuration: public, stated by the node.
        "profile" => {
            let (code, version) = match id.split_once('@') {
                Some((code, version)) => (code, Some(version)),
                None => (id, None),
            };
            let profile = store.get_profile(code, version).await?;
            RecordContent {
                issuer: Issuer::Node,
                log_id: format!("{}@{}", profile.code, profile.version),
                content: content_of(&profile, false)?,
                version: None,
                access_level: None,
                log_kind: "profile",
            }
        }
        "industry" => {
            let industry = store
                .list_industries()
                .await?
                .into_iter()
                .find(|industry| industry.code == id)
                .ok_or_else(|| ApiError::not_found(format!("no industry {id:?}")))?;
            node_record(content_of(&industry, false)?, "industry", id)
        }
        "certificate_scheme" => {
            let scheme = store
                .list_certificate_schemes()
                .await?
                .into_iter()
                .find(|scheme| scheme.code == id)
                .ok_or_else(|| ApiError::not_found(format!("no certificate scheme {id:?}")))?;
            node_record(content_of(&scheme, false)?, "certificate_scheme", id)
        }
        // Peers are listed to every signed-in caller; the DID document as fetched is part of it.
        "peer" => {
            actor_signed_in(actor)?;
            let peer = store.get_peer(path_id(id, "peer")?).await?;
            node_record(content_of(&peer, false)?, "peer", id)
        }
        "partner_secretariat" => {
            let secretariat = store
                .partner_secretariat()
                .await?
                .filter(|secretariat| secretariat.organization_id.to_string() == id)
                .ok_or_else(|| ApiError::not_found(format!("{id} is not the partnership's secretariat")))?;
            node_record(content_of(&secretariat, false)?, "partner_secretariat", id)
        }
        other => {
            return Err(ApiError::not_found(format!(
                "{other:?} is not a kind of record credentials are issued for ({})",
                CREDENTIAL_KINDS.join(", ")
            )))
        }
    })
}

/// A record the node states about its own configuration.
fn node_record(content: Value, log_kind: &'static str, id: &str) -> RecordContent {
    RecordContent {
        issuer: Issuer::Node,
        content,
        version: None,
        access_level: None,
        log_kind,
        log_id: id.to_owned(),
    }
}

/// The organization the caller belongs to (accounts and keys are read within it).
fn own_organization(actor: &Actor) -> ApiResult<OrganizationId> {
    actor
        .organization_id
        .ok_or_else(|| ApiError::not_found("accounts are exported by members of their organization"))
}

fn actor_signed_in(actor: &Actor) -> ApiResult<()> {
    if actor.kind == junkan_model::principal::PrincipalKind::Anonymous {
        return Err(ApiError::unauthorized("sign in to read this record"));
    }
    Ok(())
}

/// A trade the caller made (its requests) or that is addressed to it (its responses), a page
/// at a time.
async fn find_trade(state: &AppState, actor: &Actor, trade_id: uuid::Uuid) -> ApiResult<junkan_model::ouranos::Trade> {
    let requested = first_in_pages(
        |page| async move {
            state
                .store
                .list_trade_requests(actor, &TradeFilter::default(), &page)
                .await
        },
        |trade: &junkan_model::ouranos::Trade| trade.trade_id == trade_id,
    )
    .await?;
    if let Some(trade) = requested {
        return Ok(trade);
    }
    first_in_pages(
        |page| async move { state.store.list_trade_responses(actor, &page).await },
        |response: &junkan_model::ouranos::TradeResponse| response.trade.trade_id == trade_id,
    )
    .await?
    .map(|response| response.trade)
    .ok_or_else(|| ApiError::not_found(format!("no trade {trade_id} that you may read")))
}

/// Certifications are public; the store lists them, a page at a time.
async fn find_certification(state: &AppState, id: &str) -> ApiResult<junkan_model::access::Certification> {
    first_in_pages(
        |page| async move { state.store.list_certifications(None, &page).await },
        |certification: &junkan_model::access::Certification| certification.id.to_string() == id,
    )
    .await?
    .ok_or_else(|| ApiError::not_found(format!("no certification {id}")))
}

/// The first item `wanted` accepts, through every page `list` gives (100 at a time).
async fn first_in_pages<T, Listed, Wanted>(
    mut list: impl FnMut(PageRequest) -> Listed,
    wanted: Wanted,
) -> ApiResult<Option<T>>
where
    Listed: std::future::Future<Output = Result<junkan_model::page::Page<T>, junkan_store::StoreError>>,
    Wanted: Fn(&T) -> bool,
{
    let mut page = PageRequest::first(100);
    loop {
        let listed = list(page).await?;
        if let Some(found) = listed.items.into_iter().find(|item| wanted(item)) {
            return Ok(Some(found));
        }
        match listed.next_after {
            Some(after) => {
                page = PageRequest {
                    after: Some(after),
                    limit: 100,
                }
            }
            None => return Ok(None),
        }
    }
}

/// The `credentialSubject` of a record's credential: what it is (kind, id, version, view
/// level), its content and where it stands in the tamper-evident log.
async fn subject_of(state: &AppState, reference: &RecordRef, record: &RecordContent) -> ApiResult<Value> {
    let leaf = state.store.latest_leaf(record.log_kind, &record.log_id).await?;
    let mut subject = json!({
        "id": record_url(state, reference, record),
        "type": "JunkanRecord",
        "recordKind": reference.kind,
        "recordId": reference.id,
        "owner": record.issuer.did(state),
        "content": record.content,
    });
    if let Some(version) = record.version {
        subject["recordVersion"] = Value::from(version);
    }
    if let Some(level) = record.access_level {
        subject["accessLevel"] = serde_json::to_value(level).map_err(|error| ApiError::internal(&error))?;
    }
    if let Some(ledger) = reference.ledger {
        subject["ledgerId"] = Value::from(ledger.to_string());
    }
    if let Some(query) = reference.query.as_deref().filter(|_| reference.kind == "subscription") {
        subject["queryName"] = Value::from(query);
    }
    if let Some(leaf) = leaf {
        subject["log"] = json!({
            "leafIndex": leaf.index,
            "recordKind": leaf.record_kind,
            "recordId": leaf.record_id,
            "contentDigest": junkan_translog::to_hex(&leaf.digest),
        });
    }
    Ok(subject)
}

fn record_url(state: &AppState, reference: &RecordRef, record: &RecordContent) -> String {
    let mut url = format!(
        "{}/api/v1/credentials/{}/{}",
        state.settings.issuer, reference.kind, reference.id
    );
    let mut query = Vec::new();
    if let Some(version) = record
        .version
        .filter(|_| reference.kind == "passport" || reference.kind == "partner_target")
    {
        query.push(format!("version={version}"));
    }
    if let Some(ledger) = reference.ledger {
        query.push(format!("ledger={ledger}"));
    }
    if let Some(name) = reference.query.as_deref().filter(|_| reference.kind == "subscription") {
        query.push(format!("query={}", junkan_gs1::digital_link::percent_encode(name)));
    }
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query.join("&"));
    }
    url
}

/// A credential exported for a record.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedCredential {
    /// The credential's id (`urn:uuid:...`).
    pub id: String,
    /// `vc+jwt` or `dc+sd-jwt`.
    pub format: String,
    /// The signed credential: a compact JWS, or an SD-JWT with every disclosure (`~`-separated).
    pub credential: String,
    /// The issuer's DID: the record's owner organization, or the node for its own configuration
    /// (profiles, industries, certificate schemes, peers, the secretariat).
    pub issuer: String,
    /// The index of its entry in the issuer's revocation status list (none for the node's).
    pub status_list_index: Option<u32>,
    /// The issuer's status list (served at this URL; none for the node's).
    pub status_list_credential: Option<String>,
    /// The credential as JSON (for `vc+jwt`; the claims before concealment for SD-JWT).
    #[schema(value_type = Object)]
    pub payload: Value,
}

/// Exports a record the caller may read as a verifiable credential issued by its owner
/// organization (signed with its current key; `credentialStatus` an entry of its revocation
/// status list), or by the node for the node's own configuration (its current key; no status).
/// `?format=sd-jwt` issues an SD-JWT VC whose claims are selectively disclosable
/// (`disclose`: comma-separated JSON pointers into the claims; default every claim under
/// `content`), for `junkan present`.
#[utoipa::path(get, path = "/api/v1/credentials/{kind}/{id}", tag = "trust",
    params(("kind" = String, Path, description = "passport, footprint, event, indicator_value, material_flow, indicator_target, ledger_claim, facility, organization, partner_target, certification, grant, access_request, dataset_offer, capture, ledger, ouranos_part, ouranos_trade, partner_membership, partner_follow_up, named_query, subscription, remote_request, received_record, dsp_negotiation, dsp_transfer, user, client, api_key, signing_key, credential, certificate; stated by the node: profile, industry, certificate_scheme, peer, partner_secretariat, pact_partner"),
           ("id" = String, Path, description = "Record id (an event's eventID, a part's traceId, a named query's name, a profile's code@version)"),
           ("version" = Option<i64>, Query, description = "A passport's or partner target's version"),
           ("view" = Option<String>, Query, description = "A passport view below the caller's level"),
           ("ledger" = Option<String>, Query, description = "The ledger of a ledger_claim"),
           ("query" = Option<String>, Query, description = "The named query of a subscription"),
           ("format" = Option<String>, Query, description = "vc+jwt (default) or sd-jwt"),
           ("disclose" = Option<String>, Query, description = "SD-JWT: comma-separated JSON pointers made selectively disclosable")),
    responses((status = 200, description = "The credential", body = ExportedCredential),
              (status = 404, description = "No such record that you may read", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn export_credential(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, id)): Path<(String, String)>,
    mut query: QueryMap,
) -> ApiResult<Json<ExportedCredential>> {
    let version = query.parsed::<i64>("version", "a version number");
    let view = query.enumerated::<AccessLevel>("view");
    let ledger = query.checked("ledger", |text| {
        text.parse::<LedgerId>().map_err(|_| "a ledger id".to_owned())
    });
    let query_name = query.text("query");
    let format = query.checked("format", |text| match text {
        "vc+jwt" | "vc-jwt" | "jwt" => Ok(false),
        "sd-jwt" | "dc+sd-jwt" => Ok(true),
        _ => Err("vc+jwt or sd-jwt".to_owned()),
    });
    let disclose = query.text("disclose");
    query.finish()?;
    let sd_jwt = format.unwrap_or(false);
    if disclose.is_some() && !sd_jwt {
        return Err(ApiError::invalid(vec![junkan_model::Violation::new(
            "?disclose",
            "disclose applies to format=sd-jwt",
        )]));
    }
    let actor = &caller.actor;
    let reference = RecordRef {
        kind,
        id,
        version,
        view,
        ledger,
        query: query_name,
    };
    let record = read_record(&state, actor, &reference).await?;
    let issuer = record.issuer.did(&state);
    let subject = subject_of(&state, &reference, &record).await?;
    if !sd_jwt {
        return Ok(Json(match record.issuer {
            Issuer::Organization(owner) => {
                let issued = issue_read_record(&state, actor, &reference, &record, owner, subject, false).await?;
                ExportedCredential {
                    id: issued.entry.id,
                    format: "vc+jwt".to_owned(),
                    credential: issued.jwt,
                    issuer,
                    status_list_index: Some(issued.entry.status_index),
                    status_list_credential: Some(trust::status_list_url(&state, owner)),
                    payload: issued.credential,
                }
            }
            Issuer::Node => {
                let issued = trust::issue_as_node(&state, &[RECORD_CREDENTIAL_TYPE], subject).await?;
                ExportedCredential {
                    id: issued.id,
                    format: "vc+jwt".to_owned(),
                    credential: issued.jwt,
                    issuer,
                    status_list_index: None,
                    status_list_credential: None,
                    payload: issued.credential,
                }
            }
        }));
    }
    // SD-JWT VC: the subject's members become the claims.
    let claims = subject;
    let pointers: Vec<String> = match disclose {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        None => every_pointer(&claims["content"])
            .into_iter()
            .map(|pointer| format!("/content{pointer}"))
            .chain(["/content".to_owned()])
            .collect(),
    };
    let (signing_key, key_id) = match record.issuer {
        Issuer::Organization(owner) => {
            let key = state.store.organization_signing_key(actor, owner).await?;
            (trust::issuer_key(&issuer, &key)?, Some(key.kid))
        }
        Issuer::Node => (trust::node_issuer_key(&state).await?, None),
    };
    let issued_at = trust::whole_second_now(&state);
    let vct = format!("{}/credentials/types/{}", state.settings.issuer, reference.kind);
    let pointer_refs: Vec<&str> = pointers.iter().map(String::as_str).collect();
    let request = SdJwtVcRequest {
        vct: &vct,
        claims: &claims,
        disclosable: &pointer_refs,
        valid_from: Some(issued_at),
        valid_until: None,
        holder_key: None,
        credential_status: None,
    };
    // Checked before an entry is recorded: a pointer naming nothing is the caller's error.
    let unrecorded = issue_sd_jwt_vc(&request, &signing_key, issued_at, &mut rand::random);
    if let Err(junkan_credential::IssueError::Invalid { violations }) = &unrecorded {
        return Err(ApiError::invalid(
            violations
                .iter()
                .map(|violation| {
                    junkan_model::Violation::new(format!("?disclose{}", violation.path), violation.message.clone())
                })
                .collect(),
        ));
    }
    let (Issuer::Organization(owner), Some(key_id)) = (record.issuer, key_id) else {
        // The node's statements carry no status: nothing to record.
        let sd_jwt_text = unrecorded.map_err(|error| ApiError::internal(&error))?;
        return Ok(Json(ExportedCredential {
            id: format!("urn:uuid:{}", uuid::Uuid::new_v4()),
            format: "dc+sd-jwt".to_owned(),
            credential: sd_jwt_text,
            issuer,
            status_list_index: None,
            status_list_credential: None,
            payload: claims,
        }));
    };
    let status_list_credential = trust::status_list_url(&state, owner);
    // Revocable like a vc+jwt: the entry of the issuer's status list the store draws.
    let sign = |index: u32| {
        let status = trust::status_entry(&status_list_credential, index);
        let request = SdJwtVcRequest {
            credential_status: Some(&status),
            ..request.clone()
        };
        issue_sd_jwt_vc(&request, &signing_key, issued_at, &mut rand::random).map_err(|error| error.to_string())
    };
    let id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
    let (entry, sd_jwt_text) = state
        .store
        .issue_credential(
            actor,
            NewIssuedCredential {
                id,
                issuer: owner,
                record_kind: reference.kind.clone(),
                record_id: reference.id.clone(),
                record_version: record.version,
                key_id,
                issued_at,
                valid_until: None,
                keep_signed: false,
            },
            &sign,
        )
        .await?;
    Ok(Json(ExportedCredential {
        id: entry.id,
        format: "dc+sd-jwt".to_owned(),
        credential: sd_jwt_text,
        issuer,
        status_list_index: Some(entry.status_index),
        status_list_credential: Some(status_list_credential),
        payload: claims,
    }))
}

/// Issues the `vc+jwt` of a record read by `actor` from its owner organization `owner` (kept
/// when `keep_signed`).
async fn issue_read_record(
    state: &AppState,
    actor: &Actor,
    reference: &RecordRef,
    record: &RecordContent,
    owner: OrganizationId,
    subject: Value,
    keep_signed: bool,
) -> ApiResult<trust::Issued> {
    trust::issue(
        state,
        actor,
        owner,
        trust::Issue {
            record_kind: reference.kind.clone(),
            record_id: reference.id.clone(),
            record_version: record.version,
            types: vec![RECORD_CREDENTIAL_TYPE.to_owned()],
            subject,
            valid_until: None,
            keep_signed,
        },
    )
    .await
}

/// Reads the record `reference` names with `actor` and issues its `vc+jwt` from its owner
/// organization (kept when `keep_signed`). Records the node states about itself are not kept
/// (400).
pub async fn issue_record_credential(
    state: &AppState,
    actor: &Actor,
    reference: &RecordRef,
    keep_signed: bool,
) -> ApiResult<(RecordContent, trust::Issued)> {
    let record = read_record(state, actor, reference).await?;
    let Issuer::Organization(owner) = record.issuer else {
        return Err(ApiError::malformed(format!(
            "{} records are stated by the node, not by an organization: they are exported, not kept",
            reference.kind
        )));
    };
    let subject = subject_of(state, reference, &record).await?;
    let issued = issue_read_record(state, actor, reference, &record, owner, subject, keep_signed).await?;
    Ok((record, issued))
}

/// Signs a record its owner has just written (a passport version, a footprint) and keeps the
/// credential, when the node signs records (`Settings::sign_records`, on by default). The
/// record is already committed: a signature that fails is logged and the record stays
/// unsigned (its pages say so), rather than failing a write that succeeded.
pub async fn sign_written(state: &AppState, actor: &Actor, kind: &str, id: String, version: Option<i64>) {
    if !state.settings.sign_records {
        return;
    }
    let reference = RecordRef {
        kind: kind.to_owned(),
        id,
        version,
        ..RecordRef::default()
    };
    if let Err(error) = issue_record_credential(state, actor, &reference, true).await {
        tracing::warn!(kind, id = %reference.id, ?version, ?error, "the written record could not be signed");
    }
}

/// A signed capture's credential.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaptureCredential {
    /// The credential's id (`urn:uuid:...`).
    pub id: String,
    /// The compact JWS (`vc+jwt`), issued by the capturing organization.
    pub credential: String,
    /// Its index in the organization's revocation status list.
    pub status_list_index: u32,
    /// When it was revoked, if it was.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<time::OffsetDateTime>,
}

/// An issued credential's entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialEntry {
    /// The credential's id.
    pub id: String,
    /// The issuing organization.
    #[schema(value_type = String)]
    pub issuer: OrganizationId,
    /// The index of its entry in the issuer's status list.
    pub status_list_index: u32,
    /// What it is about.
    pub record_kind: String,
    /// The record's id.
    pub record_id: String,
    /// The record's version, if any.
    pub record_version: Option<i64>,
    /// The key that signed it (the fragment of the issuer's DID URL).
    pub key_id: String,
    /// When it was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: time::OffsetDateTime,
    /// When it was revoked.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<time::OffsetDateTime>,
}

impl From<IssuedCredential> for CredentialEntry {
    fn from(entry: IssuedCredential) -> CredentialEntry {
        CredentialEntry {
            id: entry.id,
            issuer: entry.issuer,
            status_list_index: entry.status_index,
            record_kind: entry.record_kind,
            record_id: entry.record_id,
            record_version: entry.record_version,
            key_id: entry.key_id,
            issued_at: entry.issued_at,
            revoked_at: entry.revoked_at,
        }
    }
}

/// Revokes a credential the caller's organization issued (its administrators): the bit of its
/// entry in the organization's status list is set, for every verifier from now on. An audited,
/// logged write.
#[utoipa::path(post, path = "/api/v1/credentials/{id}/revoke", tag = "trust",
    params(("id" = String, Path, description = "Credential id (urn:uuid:...)")), security(("bearer" = [])),
    responses((status = 200, description = "Revoked", body = CredentialEntry),
              (status = 403, description = "Not an administrator of the issuer", body = crate::error::Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such credential of your organization", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn revoke_credential(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<CredentialEntry>> {
    let actor = caller.signed_in()?;
    Ok(Json(state.store.revoke_credential(actor, &id).await?.into()))
}

/// A credential to verify.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// A `vc+jwt` (compact JWS) or an SD-JWT VC presentation (`~`-separated).
    #[schema(min_length = 1)]
    pub credential: String,
}

/// One check of a verification (as `junkan verify` reports them).
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationCheck {
    /// format, shape, key, signature, issuer, key_validity, validity_period, status,
    /// disclosures, key_binding, record.
    pub name: String,
    /// passed, failed or skipped.
    pub outcome: String,
    /// A stable code of the failure, when it failed.
    pub code: Option<String>,
    /// What was found.
    pub message: String,
}

/// The report of `POST /api/v1/verify`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verification {
    /// `true` exactly when every check passed.
    pub verified: bool,
    /// `vc+jwt` or `dc+sd-jwt`.
    pub format: String,
    /// The issuer, when readable.
    pub issuer: Option<String>,
    /// The signing key's DID URL, when readable.
    pub kid: Option<String>,
    /// When it was verified.
    #[serde(with = "time::serde::rfc3339")]
    pub verified_at: time::OffsetDateTime,
    /// Every check, in order; `record` last for credentials of records.
    pub checks: Vec<VerificationCheck>,
    /// The credential as read (disclosed claims for SD-JWT). Trust it only when `verified`.
    #[schema(value_type = Option<Object>)]
    pub credential: Option<Value>,
}

fn check_json(check: &Check) -> ApiResult<VerificationCheck> {
    let value = serde_json::to_value(check).map_err(|error| ApiError::internal(&error))?;
    let text = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(VerificationCheck {
        name: text("name").unwrap_or_default(),
        outcome: text("outcome").unwrap_or_default(),
        code: text("code"),
        message: text("message").unwrap_or_default(),
    })
}

/// The decoded JSON of a base64url JWS part, when it is one.
fn decoded_part(part: &str) -> Option<Value> {
    serde_json::from_slice(&base64url_decode(part).ok()?).ok()
}

/// Keys of this node's DIDs (the node's and its organizations'), read before the synchronous
/// verification runs. A DID of another host is not resolved: the node fetches nothing.
async fn local_keys(state: &AppState, kid: Option<&str>) -> ApiResult<Vec<VerificationMethod>> {
    let Some(did) = kid.and_then(junkan_credential::controller_of) else {
        return Ok(Vec::new());
    };
    let owner = if did == trust::node_did(state) {
        KeyOwner::Node
    } else if let Some(organization) = trust::organization_of_did(state, did) {
        KeyOwner::Organization(organization)
    } else {
        return Ok(Vec::new());
    };
    let keys = match state.store.trust_keys(owner).await {
        Ok(keys) => keys,
        Err(junkan_store::StoreError::NotFound { .. }) => return Ok(Vec::new()),
        Err(error) => return Err(error.into()),
    };
    keys.iter().map(|key| trust::verification_method(did, key)).collect()
}

/// Verifies a credential: signature, issuer key (this node's DIDs only: a remote `did:web` is
/// not fetched), key retirement, validity period, revocation (this node's status lists), and
/// for a credential of a record, that its subject is what the node holds now (the record read
/// with the caller's actor, a passport at the credential's view level, the same version). A
/// failed check answers 200 with `verified: false`; input that is not a credential at all, 400.
#[utoipa::path(post, path = "/api/v1/verify", tag = "trust", request_body = VerifyRequest,
    responses((status = 200, description = "The verification report", body = Verification),
              (status = 400, description = "Not a credential", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn verify_credential(
    State(state): State<AppState>,
    caller: Caller,
    Valid(request): Valid<VerifyRequest>,
) -> ApiResult<Json<Verification>> {
    Ok(Json(
        verify(&state, Some(&caller.actor), request.credential.trim()).await?,
    ))
}

/// [`verify_credential`]'s work, shared with other parts of the node (pages, certificates).
/// Without `actor`, the subject is not compared with the record (the caller compares it).
pub async fn verify(state: &AppState, actor: Option<&Actor>, text: &str) -> ApiResult<Verification> {
    let sd_jwt = text.contains('~');
    let jws = text.split('~').next().unwrap_or_default();
    let parts: Vec<&str> = jws.split('.').collect();
    let (header, payload) = match parts.as_slice() {
        [header, payload, signature] if !signature.is_empty() => (decoded_part(header), decoded_part(payload)),
        _ => (None, None),
    };
    let (Some(header), Some(payload)) = (header, payload) else {
        return Err(ApiError::malformed(
            "the body's credential is not a vc+jwt or SD-JWT: three base64url parts with a JSON header and payload",
        ));
    };
    let kid = header.get("kid").and_then(Value::as_str);
    let methods = local_keys(state, kid).await?;
    // This node's status lists named by the credential, signed now.
    let mut lists = std::collections::HashMap::new();
    let prefix = format!("{}/credentials/status/", state.settings.issuer);
    let statuses = match payload.get("credentialStatus") {
        Some(Value::Array(entries)) => entries.clone(),
        Some(entry) => vec![entry.clone()],
        None => Vec::new(),
    };
    for entry in statuses {
        let Some(url) = entry.get("statusListCredential").and_then(Value::as_str) else {
            continue;
        };
        let Some(organization) = url
            .strip_prefix(&prefix)
            .and_then(|id| id.parse::<OrganizationId>().ok())
        else {
            continue;
        };
        if let Ok(jwt) = trust::status_list_jwt(state, organization).await {
            lists.insert(url.to_owned(), jwt);
        }
    }
    let report = {
        let resolver: &dyn KeyResolver = &methods;
        let context = VerificationContext::new(resolver, state.store.now()).with_status_lists(&lists);
        if sd_jwt {
            verify_sd_jwt_vc(text, &context, None)
        } else {
            verify_vc_jwt(text, &context)
        }
    };
    let mut checks = report.checks.iter().map(check_json).collect::<ApiResult<Vec<_>>>()?;
    let mut verified = report.valid;
    if let Some(actor) = actor {
        if let Some(record_check) = record_check(state, actor, &report, sd_jwt).await? {
            verified &= record_check.outcome == "passed";
            checks.push(record_check);
        }
    }
    Ok(Verification {
        verified,
        format: if sd_jwt { "dc+sd-jwt" } else { "vc+jwt" }.to_owned(),
        issuer: report.issuer.clone(),
        kid: report.kid.clone(),
        verified_at: report.verified_at,
        checks,
        credential: report.credential,
    })
}

fn record_outcome(outcome: Outcome, code: Option<&str>, message: impl Into<String>) -> VerificationCheck {
    VerificationCheck {
        name: "record".to_owned(),
        outcome: match outcome {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
        }
        .to_owned(),
        code: code.map(str::to_owned),
        message: message.into(),
    }
}

/// The `record` check of a credential of a record: its subject against the record as the
/// caller reads it now. `None` for other credentials.
async fn record_check(
    state: &AppState,
    actor: &Actor,
    report: &VerificationReport,
    sd_jwt: bool,
) -> ApiResult<Option<VerificationCheck>> {
    let Some(credential) = &report.credential else {
        return Ok(None);
    };
    let subject = if sd_jwt {
        credential
    } else {
        &credential["credentialSubject"]
    };
    let is_record = subject.get("type").and_then(Value::as_str) == Some("JunkanRecord");
    let (Some(kind), Some(id)) = (
        subject.get("recordKind").and_then(Value::as_str),
        subject.get("recordId").and_then(Value::as_str),
    ) else {
        return Ok(None);
    };
    if !is_record {
        return Ok(None);
    }
    if report.check(CheckName::Signature).map(|check| check.outcome) != Some(Outcome::Passed) {
        return Ok(Some(record_outcome(
            Outcome::Skipped,
            None,
            "not compared: the signature did not verify",
        )));
    }
    let view = match subject.get("accessLevel") {
        Some(level) => serde_json::from_value::<AccessLevel>(level.clone()).ok(),
        None => None,
    };
    let reference = RecordRef {
        kind: kind.to_owned(),
        id: id.to_owned(),
        version: subject.get("recordVersion").and_then(Value::as_i64),
        view,
        ledger: subject
            .get("ledgerId")
            .and_then(Value::as_str)
            .and_then(|ledger| ledger.parse().ok()),
        query: subject.get("queryName").and_then(Value::as_str).map(str::to_owned),
    };
    let record = match read_record(state, actor, &reference).await {
        Ok(record) => record,
        Err(error) if error.status() == axum::http::StatusCode::NOT_FOUND => {
            return Ok(Some(record_outcome(
                Outcome::Skipped,
                Some("record_not_readable"),
                format!("{kind} {id} is not a record you may read on this node: its content was not compared"),
            )))
        }
        Err(error) if error.status() == axum::http::StatusCode::FORBIDDEN => {
            return Ok(Some(record_outcome(
                Outcome::Skipped,
                Some("record_not_readable"),
                format!("the view of {kind} {id} the credential shows is above your access level: not compared"),
            )))
        }
        Err(error) => return Err(error),
    };
    let issuer = report.issuer.as_deref().unwrap_or_default();
    let holder = record.issuer.did(state);
    if issuer != holder {
        return Ok(Some(record_outcome(
            Outcome::Failed,
            Some("record_issuer"),
            format!("{kind} {id} is stated by {holder}, not by the issuer {issuer}"),
        )));
    }
    let stated = subject.get("content").unwrap_or(&Value::Null);
    let matches = if sd_jwt {
        disclosed_within(stated, &record.content)
    } else {
        *stated == record.content
    };
    Ok(Some(if matches {
        record_outcome(
            Outcome::Passed,
            None,
            format!("the content matches {kind} {id} as the node holds it"),
        )
    } else {
        record_outcome(
            Outcome::Failed,
            Some("record_changed"),
            format!("the content is not what the node holds for {kind} {id} now"),
        )
    }))
}

/// Whether every disclosed value is the held one (objects member by member; other values whole).
fn disclosed_within(disclosed: &Value, held: &Value) -> bool {
    match (disclosed, held) {
        (Value::Object(disclosed), Value::Object(held)) => disclosed
            .iter()
            .all(|(name, value)| held.get(name).is_some_and(|held| disclosed_within(value, held))),
        (Value::Array(disclosed), Value::Array(held)) => {
            disclosed.len() == held.len()
                && disclosed
                    .iter()
                    .zip(held)
                    .all(|(value, held)| disclosed_within(value, held))
        }
        _ => disclosed == held,
    }
}
