//! The PACT outbox sender: a background task that `junkan serve` starts. Whenever something is
//! enqueued (`AppState::pact_outbox_wake`) and once a second, it sends the events that are due to
//! their partners' `/3/events` (`/2/events` for the v2 names), authenticating at the partner's
//! token endpoint, and records each attempt: 2xx delivers, anything else is retried with
//! exponential backoff for up to 3 days (`junkan_store::pact_next_attempt`). Events go only to
//! registered partners' base URLs, the allow-list; each carries its own id on every attempt, so
//! the partner can drop repeats.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{json, Value};

use junkan_model::ids::PactPartnerId;
use junkan_store::{PactOutboxEntry, PactPartner};

use crate::pact_client::{PactClient, PactClientError};
use crate::AppState;

/// How many due events one round sends at most.
const BATCH: u32 = 50;

/// Clients per partner, keeping their access tokens between rounds.
#[derive(Debug, Default)]
pub struct PartnerClients(HashMap<PactPartnerId, PactClient>);

/// Runs the sender until the process ends.
pub async fn run(state: AppState) {
    let mut clients = PartnerClients::default();
    loop {
        match deliver_due(&state, &mut clients).await {
            Ok(sent) if sent >= BATCH as usize => continue,
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "PACT outbox round failed"),
        }
        tokio::select! {
            () = state.pact_outbox_wake.notified() => {}
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Sends every event due now once; returns how many were attempted.
pub async fn deliver_due(state: &AppState, clients: &mut PartnerClients) -> Result<usize, junkan_store::StoreError> {
    let due = state.store.pact_events_due(BATCH).await?;
    let count = due.len();
    for (entry, partner) in due {
        let client = clients
            .0
            .remove(&partner.id)
            .filter(|client| client.base_url == partner.base_url)
            .unwrap_or_else(|| client_for(&partner));
        let event = outgoing_body(state, &entry);
        let version = if entry.event_type.starts_with("org.wbcsd.pathfinder.") {
            2
        } else {
            3
        };
        let (client, outcome) = tokio::task::spawn_blocking(move || {
            let mut client = client;
            let outcome = client.post_event(version, &event);
            (client, outcome)
        })
        .await
        .map_err(|error| junkan_store::StoreError::Unavailable(error.into()))?;
        clients.0.insert(partner.id, client);
        let outcome = outcome.map_err(|error| match error {
            PactClientError::Status { status, body, .. } => format!("the partner answered {status}: {body}"),
            PactClientError::Transport(message) => message,
        });
        if let Err(error) = &outcome {
            tracing::info!(event = %entry.id, partner = %partner.name, %error, attempts = entry.attempts + 1, "PACT event not delivered yet");
        }
        let recorded = state.store.record_pact_attempt(&entry.id, outcome).await?;
        if recorded.gave_up_at.is_some() {
            tracing::warn!(event = %entry.id, partner = %partner.name, "PACT event given up after 3 days");
        }
    }
    Ok(count)
}

fn client_for(partner: &PactPartner) -> PactClient {
    let mut client = PactClient::new(
        &partner.base_url,
        partner.token_endpoint.clone(),
        &partner.client_id,
        &partner.client_secret,
    );
    // The outbox retries over days; one attempt per round is enough here.
    client.attempts = 1;
    client
}

/// The event as sent: the stored CloudEvent with this node as `source`.
fn outgoing_body(state: &AppState, entry: &PactOutboxEntry) -> Value {
    let mut event = entry.event.clone();
    let source = state
        .settings
        .issuer
        .strip_prefix("https:")
        .or_else(|| state.settings.issuer.strip_prefix("http:"))
        .unwrap_or(&state.settings.issuer)
        .to_owned();
    if let Some(object) = event.as_object_mut() {
        object.entry("source").or_insert_with(|| json!(source));
    }
    event
}
