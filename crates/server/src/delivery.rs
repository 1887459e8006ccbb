//! Delivery of query subscriptions: a background task that, whenever events are captured (and
//! once a second, for schedules and retries), runs each subscription's named query for the events
//! recorded since its last report, with the subscriber's current rights, and POSTs them to its
//! webhook. The position reached is stored only after the webhook answers 2xx, so a report that
//! fails, or a node that stops, is sent again later (at-least-once delivery); failing webhooks are
//! retried with exponential backoff up to five minutes.

use std::collections::HashMap;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::OffsetDateTime;

use junkan_epcis::output::EpcFormat;
use junkan_model::ids::SubscriptionId;
use junkan_model::page::{PageRequest, MAX_PAGE_SIZE};
use junkan_model::principal::Actor;
use junkan_model::subscription::Subscription;
use junkan_store::Delivery;

use crate::handlers::epcis::Rendering;
use crate::handlers::epcis_queries::query_parameters;
use crate::AppState;

/// Reports of the events of a named query recorded since `cursor` (or since
/// `initial_record_time` at first), in capture order, in batches of up to 500: each batch as an
/// EPCISQueryDocument with the capture-order position of its last event. With `report_empty`, a
/// run that finds nothing yields one empty document.
#[expect(clippy::too_many_arguments, reason = "the facts of one subscription run")]
pub(crate) async fn new_results(
    state: &AppState,
    actor: &Actor,
    parameters: &[(String, String)],
    initial_record_time: OffsetDateTime,
    cursor: Option<String>,
    epc_format: EpcFormat,
    query_name: &str,
    report_empty: bool,
) -> Result<Vec<(Vec<u8>, Option<String>)>, String> {
    let mut query = junkan_epcis::event_query(parameters)
        .map_err(|problems| format!("the named query is no longer valid: {problems:?}"))?
        .query;
    // Reports follow capture order whatever order the query asks for.
    query.order = None;
    query.ge_record_time = Some(
        query
            .ge_record_time
            .map_or(initial_record_time, |own| own.max(initial_record_time)),
    );
    let rendering = Rendering::json(epc_format);
    let mut page = PageRequest {
        after: cursor,
        limit: MAX_PAGE_SIZE,
    };
    let mut batches = Vec::new();
    loop {
        let found = state
            .store
            .query_events(actor, &query, &page)
            .await
            .map_err(|error| format!("the query failed: {error}"))?;
        if found.items.is_empty() {
            if batches.is_empty() && report_empty {
                let (document, _) = rendering.query_document(state, query_name, &[]).await;
                batches.push((document, None));
            }
            return Ok(batches);
        }
        let up_to = found.items.last().map(|event| event.sequence.to_string());
        let (document, _) = rendering.query_document(state, query_name, &found.items).await;
        batches.push((document, up_to.clone()));
        match found.next_after {
            Some(_) => page.after = up_to,
            None => return Ok(batches),
        }
    }
}

/// `sha256=<hex>` of the HMAC-SHA256 of `body` keyed with `token`.
pub fn signature(token: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(token.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn post(dest: &str, token: Option<&str>, body: Vec<u8>) -> Result<(), String> {
    let signed = token.map(|token| signature(token, &body));
    let dest = dest.to_owned();
    tokio::task::spawn_blocking(move || {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(10))
            .redirects(0)
            .build();
        let mut request = agent
            .post(&dest)
            .set("content-type", "application/ld+json")
            .set("gs1-epcis-version", crate::handlers::epcis::EPCIS_VERSION);
        if let Some(signed) = &signed {
            request = request.set("gs1-signature", signed);
        }
        match request.send_bytes(&body) {
            Ok(_) => Ok(()),
            Err(ureq::Error::Status(code, _)) => Err(format!("the webhook answered {code}")),
            Err(error) => Err(format!("the webhook could not be reached: {error}")),
        }
    })
    .await
    .map_err(|error| format!("delivery task failed: {error}"))?
}

/// Failures in a row and when to try again.
type Backoff = HashMap<SubscriptionId, (u32, OffsetDateTime)>;

/// Starts the delivery task; it runs until the runtime stops.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut captured = state.captured.subscribe();
        let mut last_second = state.store.now().unix_timestamp();
        let mut backoff = Backoff::new();
        loop {
            tokio::select! {
                _ = captured.changed() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            let now = state.store.now();
            if let Err(error) = deliver_due(&state, last_second, now, &mut backoff).await {
                tracing::warn!(%error, "subscription delivery round failed");
            }
            last_second = last_second.max(now.unix_timestamp());
        }
    })
}

async fn deliver_due(
    state: &AppState,
    last_second: i64,
    now: OffsetDateTime,
    backoff: &mut Backoff,
) -> Result<(), junkan_store::StoreError> {
    for (subscription, query, actor) in state.store.subscriptions_to_deliver().await? {
        if backoff.get(&subscription.id).is_some_and(|(_, next)| *next > now) {
            continue;
        }
        let Some(actor) = actor else {
            const STOPPED: &str = "the subscriber's credential was revoked or has expired; deliveries stopped";
            if subscription.last_error.as_deref() != Some(STOPPED) {
                record(state, &subscription, None, Some(STOPPED.to_owned())).await?;
            }
            continue;
        };
        let due = match &subscription.schedule {
            None => subscription.stream,
            Some(schedule) => schedule.fires_between(last_second, now),
        };
        if !due {
            continue;
        }
        let outcome = deliver(state, &subscription, &query.query, &actor).await;
        match outcome {
            Ok(()) => {
                backoff.remove(&subscription.id);
            }
            Err(error) => {
                let failures = backoff.get(&subscription.id).map_or(1, |(failures, _)| failures + 1);
                let wait = 2_i64.saturating_pow(failures.min(9)).min(300);
                backoff.insert(subscription.id, (failures, now + time::Duration::seconds(wait)));
                record(state, &subscription, None, Some(error)).await?;
            }
        }
    }
    Ok(())
}

async fn deliver(
    state: &AppState,
    subscription: &Subscription,
    query: &serde_json::Value,
    actor: &Actor,
) -> Result<(), String> {
    let parameters =
        query_parameters(query).map_err(|problems| format!("the named query is no longer valid: {problems:?}"))?;
    let epc_format = EpcFormat::from_header(subscription.epc_format.as_deref()).unwrap_or(EpcFormat::DigitalLink);
    let report_empty = subscription.schedule.is_some() && subscription.report_if_empty;
    let batches = new_results(
        state,
        actor,
        &parameters,
        subscription.initial_record_time,
        subscription.delivered_up_to.clone(),
        epc_format,
        &subscription.query_name,
        report_empty,
    )
    .await?;
    for (document, up_to) in batches {
        post(&subscription.dest, subscription.signature_token.as_deref(), document).await?;
        record(state, subscription, up_to, None)
            .await
            .map_err(|error| format!("could not record the delivery: {error}"))?;
    }
    Ok(())
}

async fn record(
    state: &AppState,
    subscription: &Subscription,
    delivered_up_to: Option<String>,
    error: Option<String>,
) -> Result<(), junkan_store::StoreError> {
    let notified_at = error.is_none().then(|| state.store.now());
    state
        .store
        .record_delivery(
            subscription.id,
            &Delivery {
                delivered_up_to,
                notified_at,
                error,
            },
        )
        .await
}
