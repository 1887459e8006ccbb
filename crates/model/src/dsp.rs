//! The Eclipse Dataspace Protocol 2025-1 (データスペースプロトコル) state machines as pure
//! functions: contract negotiation and transfer process, every state × message giving the next
//! state or the precise protocol error (HTTP 400 for a message the state does not allow, as the
//! HTTPS binding asks). Both sides use the same machines; a side only checks who may send what.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::ids::{AccessRequestId, NegotiationId, OrganizationId, TransferId};

/// The protocol version junkan speaks, as `/.well-known/dspace-version` names it.
pub const PROTOCOL_VERSION: &str = "2025-1";

/// The path under the node's base URL where the protocol's HTTPS binding is served.
pub const BASE_PATH: &str = "/dsp";

/// The JSON-LD context of every protocol message.
pub const CONTEXT: &str = "https://w3id.org/dspace/2025/1/context.jsonld";

/// The transfer format junkan serves: the consumer pulls the data over HTTP with a bearer token.
pub const HTTP_PULL_FORMAT: &str = "HttpData-PULL";

/// The endpoint type of the data address junkan hands out.
pub const HTTP_ENDPOINT_TYPE: &str = "https://w3id.org/idsa/v4.1/HTTP";

/// The states of a contract negotiation (契約交渉).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NegotiationState {
    /// The consumer asked for a contract based on an offer.
    Requested,
    /// The provider offered a contract.
    Offered,
    /// The consumer accepted the provider's offer.
    Accepted,
    /// The provider agreed and sent the agreement.
    Agreed,
    /// The consumer verified the agreement.
    Verified,
    /// The provider finalized: the agreement is in force.
    Finalized,
    /// Either side ended the negotiation.
    Terminated,
}

/// Every negotiation state, for exhaustive tests and parsing.
pub const NEGOTIATION_STATES: [NegotiationState; 7] = [
    NegotiationState::Requested,
    NegotiationState::Offered,
    NegotiationState::Accepted,
    NegotiationState::Agreed,
    NegotiationState::Verified,
    NegotiationState::Finalized,
    NegotiationState::Terminated,
];

impl NegotiationState {
    /// The protocol's name of the state (`REQUESTED`, ...), also the stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            NegotiationState::Requested => "REQUESTED",
            NegotiationState::Offered => "OFFERED",
            NegotiationState::Accepted => "ACCEPTED",
            NegotiationState::Agreed => "AGREED",
            NegotiationState::Verified => "VERIFIED",
            NegotiationState::Finalized => "FINALIZED",
            NegotiationState::Terminated => "TERMINATED",
        }
    }

    /// Parses the protocol's name.
    pub fn parse(text: &str) -> Option<NegotiationState> {
        NEGOTIATION_STATES.into_iter().find(|state| state.as_str() == text)
    }

    /// Whether no message moves the negotiation any more.
    pub fn is_terminal(self) -> bool {
        matches!(self, NegotiationState::Finalized | NegotiationState::Terminated)
    }
}

/// The messages of the contract negotiation protocol, with the event message split by its
/// `eventType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NegotiationMessage {
    /// `ContractRequestMessage` (consumer → provider): a new negotiation or a counter-request.
    Request,
    /// `ContractOfferMessage` (provider → consumer).
    Offer,
    /// `ContractNegotiationEventMessage` with `eventType` `ACCEPTED` (consumer → provider).
    Accepted,
    /// `ContractAgreementMessage` (provider → consumer).
    Agreement,
    /// `ContractAgreementVerificationMessage` (consumer → provider).
    Verification,
    /// `ContractNegotiationEventMessage` with `eventType` `FINALIZED` (provider → consumer).
    Finalized,
    /// `ContractNegotiationTerminationMessage` (either side).
    Termination,
}

/// Every negotiation message, for exhaustive tests.
pub const NEGOTIATION_MESSAGES: [NegotiationMessage; 7] = [
    NegotiationMessage::Request,
    NegotiationMessage::Offer,
    NegotiationMessage::Accepted,
    NegotiationMessage::Agreement,
    NegotiationMessage::Verification,
    NegotiationMessage::Finalized,
    NegotiationMessage::Termination,
];

impl NegotiationMessage {
    /// The message's `@type` (with the event type for event messages).
    pub fn name(self) -> &'static str {
        match self {
            NegotiationMessage::Request => "ContractRequestMessage",
            NegotiationMessage::Offer => "ContractOfferMessage",
            NegotiationMessage::Accepted => "ContractNegotiationEventMessage (ACCEPTED)",
            NegotiationMessage::Agreement => "ContractAgreementMessage",
            NegotiationMessage::Verification => "ContractAgreementVerificationMessage",
            NegotiationMessage::Finalized => "ContractNegotiationEventMessage (FINALIZED)",
            NegotiationMessage::Termination => "ContractNegotiationTerminationMessage",
        }
    }

    /// The side that sends the message (`Termination` is sent by both).
    pub fn sender(self) -> Option<Role> {
        match self {
            NegotiationMessage::Request | NegotiationMessage::Accepted | NegotiationMessage::Verification => {
                Some(Role::Consumer)
            }
            NegotiationMessage::Offer | NegotiationMessage::Agreement | NegotiationMessage::Finalized => {
                Some(Role::Provider)
            }
            NegotiationMessage::Termination => None,
        }
    }
}

/// The two sides of a negotiation or transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
// Named apart from the principals' `Role` in the OpenAPI document, whose schemas validate bodies.
#[schema(as = DspRole)]
pub enum Role {
    /// The side that offers data (the node's organization whose records are asked for).
    Provider,
    /// The side that asks for data.
    Consumer,
}

impl Role {
    /// The stable text form used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Provider => "provider",
            Role::Consumer => "consumer",
        }
    }

    /// Parses the stable text form.
    pub fn parse(text: &str) -> Option<Role> {
        [Role::Provider, Role::Consumer]
            .into_iter()
            .find(|role| role.as_str() == text)
    }
}

/// A protocol error: the HTTP status and the text for the `reason` of a
/// `ContractNegotiationError` / `TransferError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    /// HTTP status: 400 (message not allowed in the state, or invalid), 404 (unknown process).
    pub status: u16,
    /// The implementation's error code (`code`).
    pub code: &'static str,
    /// Why, in a sentence.
    pub reason: String,
}

impl ProtocolError {
    fn wrong_state(message: &str, state: &str) -> ProtocolError {
        ProtocolError {
            status: 400,
            code: "INVALID_STATE_TRANSITION",
            reason: format!("{message} is not allowed in state {state}"),
        }
    }
}

/// The state a negotiation in `state` (or a new one, `None`) enters on `message`, or the error
/// the receiver answers. A new negotiation starts with a request (consumer) or an offer
/// (provider); termination ends any negotiation that has not ended.
pub fn negotiation_transition(
    state: Option<NegotiationState>,
    message: NegotiationMessage,
) -> Result<NegotiationState, ProtocolError> {
    use NegotiationMessage as M;
    use NegotiationState as S;
    let next = match (state, message) {
        (None, M::Request) | (Some(S::Offered), M::Request) => Some(S::Requested),
        (None, M::Offer) | (Some(S::Requested), M::Offer) => Some(S::Offered),
        (Some(S::Offered), M::Accepted) => Some(S::Accepted),
        (Some(S::Requested | S::Accepted), M::Agreement) => Some(S::Agreed),
        (Some(S::Agreed), M::Verification) => Some(S::Verified),
        (Some(S::Verified), M::Finalized) => Some(S::Finalized),
        (Some(current), M::Termination) if !current.is_terminal() => Some(S::Terminated),
        _ => None,
    };
    next.ok_or_else(|| match state {
        None => ProtocolError {
            status: 404,
            code: "NOT_FOUND",
            reason: format!("{} names no negotiation this node knows", message.name()),
        },
        Some(current) => ProtocolError::wrong_state(message.name(), current.as_str()),
    })
}

/// The states of a transfer process (データ転送).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransferState {
    /// The consumer asked for a transfer under an agreement.
    Requested,
    /// The provider started it: the data can be pulled.
    Started,
    /// Paused by either side.
    Suspended,
    /// Done.
    Completed,
    /// Ended by either side.
    Terminated,
}

/// Every transfer state.
pub const TRANSFER_STATES: [TransferState; 5] = [
    TransferState::Requested,
    TransferState::Started,
    TransferState::Suspended,
    TransferState::Completed,
    TransferState::Terminated,
];

impl TransferState {
    /// The protocol's name of the state, also the stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            TransferState::Requested => "REQUESTED",
            TransferState::Started => "STARTED",
            TransferState::Suspended => "SUSPENDED",
            TransferState::Completed => "COMPLETED",
            TransferState::Terminated => "TERMINATED",
        }
    }

    /// Parses the protocol's name.
    pub fn parse(text: &str) -> Option<TransferState> {
        TRANSFER_STATES.into_iter().find(|state| state.as_str() == text)
    }

    /// Whether no message moves the transfer any more.
    pub fn is_terminal(self) -> bool {
        matches!(self, TransferState::Completed | TransferState::Terminated)
    }
}

/// The messages of the transfer process protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferMessage {
    /// `TransferRequestMessage` (consumer → provider).
    Request,
    /// `TransferStartMessage` (provider → consumer; or consumer → provider to resume).
    Start,
    /// `TransferSuspensionMessage` (either side).
    Suspension,
    /// `TransferCompletionMessage` (either side).
    Completion,
    /// `TransferTerminationMessage` (either side).
    Termination,
}

/// Every transfer message.
pub const TRANSFER_MESSAGES: [TransferMessage; 5] = [
    TransferMessage::Request,
    TransferMessage::Start,
    TransferMessage::Suspension,
    TransferMessage::Completion,
    TransferMessage::Termination,
];

impl TransferMessage {
    /// The message's `@type`.
    pub fn name(self) -> &'static str {
        match self {
            TransferMessage::Request => "TransferRequestMessage",
            TransferMessage::Start => "TransferStartMessage",
            TransferMessage::Suspension => "TransferSuspensionMessage",
            TransferMessage::Completion => "TransferCompletionMessage",
            TransferMessage::Termination => "TransferTerminationMessage",
        }
    }
}

/// The state a transfer in `state` (or a new one) enters on `message`, or the error. A start
/// begins a requested transfer or resumes a suspended one; completion ends a started one;
/// suspension pauses a started one; termination ends any that has not ended.
pub fn transfer_transition(
    state: Option<TransferState>,
    message: TransferMessage,
) -> Result<TransferState, ProtocolError> {
    use TransferMessage as M;
    use TransferState as S;
    let next = match (state, message) {
        (None, M::Request) => Some(S::Requested),
        (Some(S::Requested | S::Suspended), M::Start) => Some(S::Started),
        (Some(S::Started), M::Suspension) => Some(S::Suspended),
        (Some(S::Started), M::Completion) => Some(S::Completed),
        (Some(current), M::Termination) if !current.is_terminal() => Some(S::Terminated),
        _ => None,
    };
    next.ok_or_else(|| match state {
        None => ProtocolError {
            status: 404,
            code: "NOT_FOUND",
            reason: format!("{} names no transfer process this node knows", message.name()),
        },
        Some(current) => ProtocolError::wrong_state(message.name(), current.as_str()),
    })
}

/// The negotiation message a `ContractNegotiationEventMessage` carries, by its `eventType`.
pub fn negotiation_event(event_type: &str) -> Option<NegotiationMessage> {
    match event_type {
        "ACCEPTED" => Some(NegotiationMessage::Accepted),
        "FINALIZED" => Some(NegotiationMessage::Finalized),
        _ => None,
    }
}

/// The process id (`providerPid` / `consumerPid`) of a negotiation or transfer of this node.
pub fn process_id(id: impl std::fmt::Display) -> String {
    format!("urn:uuid:{id}")
}

/// The local id a process id names (`urn:uuid:<id>`, or the bare UUID).
pub fn local_id<T: std::str::FromStr>(pid: &str) -> Option<T> {
    pid.strip_prefix("urn:uuid:").unwrap_or(pid).parse().ok()
}

/// A contract negotiation as this node keeps it, on either side.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Negotiation {
    /// This node's id of the negotiation (its process id is `urn:uuid:<id>`).
    pub id: NegotiationId,
    /// This node's side.
    pub role: Role,
    /// The local organization: the provider (offering) or the consumer (asking).
    pub organization_id: OrganizationId,
    /// The consumer organization, on the provider side (a member of this node).
    pub counterparty_organization_id: Option<OrganizationId>,
    /// The other side's process id, once known.
    pub peer_pid: Option<String>,
    /// The id of the ODRL offer negotiated.
    pub offer_id: String,
    /// The dataset the offer is for.
    pub dataset: Option<String>,
    /// Provider side: the consumer's callback address; consumer side: the provider's protocol
    /// base URL (`…/dsp`).
    pub address: String,
    /// Where the negotiation stands.
    pub state: NegotiationState,
    /// Provider side: the access request the negotiation is decided through.
    pub access_request_id: Option<AccessRequestId>,
    /// The agreement's id (provider side: `urn:uuid:<grant id>`, the grant made at finalization).
    pub agreement_id: Option<String>,
    /// The ODRL agreement, once agreed.
    pub agreement: Option<serde_json::Value>,
    /// Why it was terminated.
    pub reason: Option<String>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A transfer process as this node keeps it, on either side.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Transfer {
    /// This node's id of the transfer (process id `urn:uuid:<id>`).
    pub id: TransferId,
    /// This node's side.
    pub role: Role,
    /// The local organization (provider or consumer).
    pub organization_id: OrganizationId,
    /// The consumer organization, on the provider side.
    pub counterparty_organization_id: Option<OrganizationId>,
    /// The negotiation whose agreement the transfer runs under.
    pub negotiation_id: NegotiationId,
    /// The agreement's id.
    pub agreement_id: String,
    /// The other side's process id, once known.
    pub peer_pid: Option<String>,
    /// The transfer format (`HttpData-PULL`).
    pub format: String,
    /// Provider side: the consumer's callback address; consumer side: the provider's base URL.
    pub address: String,
    /// Where the transfer stands.
    pub state: TransferState,
    /// Provider side: until when the pull token works.
    #[serde(with = "time::serde::rfc3339::option")]
    pub token_expires_at: Option<OffsetDateTime>,
    /// Consumer side: the endpoint to pull from (the token is kept but never shown).
    pub endpoint: Option<String>,
    /// Why it was suspended or terminated.
    pub reason: Option<String>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A negotiation message received for a stored negotiation, with what the store keeps of it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedNegotiationMessage {
    /// Which message.
    pub message: NegotiationMessage,
    /// The sender's process id as the message names it.
    pub peer_pid: String,
    /// A `ContractAgreementMessage`'s agreement.
    pub agreement: Option<serde_json::Value>,
    /// A termination's code and reasons, as text.
    pub reason: Option<String>,
}

/// A transfer message received for a stored transfer.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedTransferMessage {
    /// Which message.
    pub message: TransferMessage,
    /// The sender's process id as the message names it.
    pub peer_pid: String,
    /// A start message's endpoint and bearer token (consumer side).
    pub endpoint: Option<(String, String)>,
    /// A suspension's or termination's code and reasons, as text.
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every state × message of the negotiation machine, as a table that reads like the
    /// protocol's state diagram.
    #[test]
    fn every_negotiation_transition() {
        let mut table = String::new();
        for state in std::iter::once(None).chain(NEGOTIATION_STATES.into_iter().map(Some)) {
            for message in NEGOTIATION_MESSAGES {
                let from = state.map_or("(new)", NegotiationState::as_str);
                let to = match negotiation_transition(state, message) {
                    Ok(next) => next.as_str().to_owned(),
                    Err(error) => format!("{} {}", error.status, error.code),
                };
                table.push_str(&format!("{from:<10} {:<44} {to}\n", message.name()));
            }
        }
        expect_test::expect![[r#"
            (new)      ContractRequestMessage                       REQUESTED
            (new)      ContractOfferMessage                         OFFERED
            (new)      ContractNegotiationEventMessage (ACCEPTED)   404 NOT_FOUND
            (new)      ContractAgreementMessage                     404 NOT_FOUND
            (new)      ContractAgreementVerificationMessage         404 NOT_FOUND
            (new)      ContractNegotiationEventMessage (FINALIZED)  404 NOT_FOUND
            (new)      ContractNegotiationTerminationMessage        404 NOT_FOUND
            REQUESTED  ContractRequestMessage                       400 INVALID_STATE_TRANSITION
            REQUESTED  ContractOfferMessage                         OFFERED
            REQUESTED  ContractNegotiationEventMessage (ACCEPTED)   400 INVALID_STATE_TRANSITION
            REQUESTED  ContractAgreementMessage                     AGREED
            REQUESTED  ContractAgreementVerificationMessage         400 INVALID_STATE_TRANSITION
            REQUESTED  ContractNegotiationEventMessage (FINALIZED)  400 INVALID_STATE_TRANSITION
            REQUESTED  ContractNegotiationTerminationMessage        TERMINATED
            OFFERED    ContractRequestMessage                       REQUESTED
            OFFERED    ContractOfferMessage                         400 INVALID_STATE_TRANSITION
            OFFERED    ContractNegotiationEventMessage (ACCEPTED)   ACCEPTED
            OFFERED    ContractAgreementMessage                     400 INVALID_STATE_TRANSITION
            OFFERED    ContractAgreementVerificationMessage         400 INVALID_STATE_TRANSITION
            OFFERED    ContractNegotiationEventMessage (FINALIZED)  400 INVALID_STATE_TRANSITION
            OFFERED    ContractNegotiationTerminationMessage        TERMINATED
            ACCEPTED   ContractRequestMessage                       400 INVALID_STATE_TRANSITION
            ACCEPTED   ContractOfferMessage                         400 INVALID_STATE_TRANSITION
            ACCEPTED   ContractNegotiationEventMessage (ACCEPTED)   400 INVALID_STATE_TRANSITION
            ACCEPTED   ContractAgreementMessage                     AGREED
            ACCEPTED   ContractAgreementVerificationMessage         400 INVALID_STATE_TRANSITION
            ACCEPTED   ContractNegotiationEventMessage (FINALIZED)  400 INVALID_STATE_TRANSITION
            ACCEPTED   ContractNegotiationTerminationMessage        TERMINATED
            AGREED     ContractRequestMessage                       400 INVALID_STATE_TRANSITION
            AGREED     ContractOfferMessage                         400 INVALID_STATE_TRANSITION
            AGREED     ContractNegotiationEventMessage (ACCEPTED)   400 INVALID_STATE_TRANSITION
            AGREED     ContractAgreementMessage                     400 INVALID_STATE_TRANSITION
            AGREED     ContractAgreementVerificationMessage         VERIFIED
            AGREED     ContractNegotiationEventMessage (FINALIZED)  400 INVALID_STATE_TRANSITION
            AGREED     ContractNegotiationTerminationMessage        TERMINATED
            VERIFIED   ContractRequestMessage                       400 INVALID_STATE_TRANSITION
            VERIFIED   ContractOfferMessage                         400 INVALID_STATE_TRANSITION
            VERIFIED   ContractNegotiationEventMessage (ACCEPTED)   400 INVALID_STATE_TRANSITION
            VERIFIED   ContractAgreementMessage                     400 INVALID_STATE_TRANSITION
            VERIFIED   ContractAgreementVerificationMessage         400 INVALID_STATE_TRANSITION
            VERIFIED   ContractNegotiationEventMessage (FINALIZED)  FINALIZED
            VERIFIED   ContractNegotiationTerminationMessage        TERMINATED
            FINALIZED  ContractRequestMessage                       400 INVALID_STATE_TRANSITION
            FINALIZED  ContractOfferMessage                         400 INVALID_STATE_TRANSITION
            FINALIZED  ContractNegotiationEventMessage (ACCEPTED)   400 INVALID_STATE_TRANSITION
            FINALIZED  ContractAgreementMessage                     400 INVALID_STATE_TRANSITION
            FINALIZED  ContractAgreementVerificationMessage         400 INVALID_STATE_TRANSITION
            FINALIZED  ContractNegotiationEventMessage (FINALIZED)  400 INVALID_STATE_TRANSITION
            FINALIZED  ContractNegotiationTerminationMessage        400 INVALID_STATE_TRANSITION
            TERMINATED ContractRequestMessage                       400 INVALID_STATE_TRANSITION
            TERMINATED ContractOfferMessage                         400 INVALID_STATE_TRANSITION
            TERMINATED ContractNegotiationEventMessage (ACCEPTED)   400 INVALID_STATE_TRANSITION
            TERMINATED ContractAgreementMessage                     400 INVALID_STATE_TRANSITION
            TERMINATED ContractAgreementVerificationMessage         400 INVALID_STATE_TRANSITION
            TERMINATED ContractNegotiationEventMessage (FINALIZED)  400 INVALID_STATE_TRANSITION
            TERMINATED ContractNegotiationTerminationMessage        400 INVALID_STATE_TRANSITION
        "#]]
        .assert_eq(&table);
    }

    #[test]
    fn every_transfer_transition() {
        let mut table = String::new();
        for state in std::iter::once(None).chain(TRANSFER_STATES.into_iter().map(Some)) {
            for message in TRANSFER_MESSAGES {
                let from = state.map_or("(new)", TransferState::as_str);
                let to = match transfer_transition(state, message) {
                    Ok(next) => next.as_str().to_owned(),
                    Err(error) => format!("{} {}", error.status, error.code),
                };
                table.push_str(&format!("{from:<10} {:<26} {to}\n", message.name()));
            }
        }
        expect_test::expect![[r#"
            (new)      TransferRequestMessage     REQUESTED
            (new)      TransferStartMessage       404 NOT_FOUND
            (new)      TransferSuspensionMessage  404 NOT_FOUND
            (new)      TransferCompletionMessage  404 NOT_FOUND
            (new)      TransferTerminationMessage 404 NOT_FOUND
            REQUESTED  TransferRequestMessage     400 INVALID_STATE_TRANSITION
            REQUESTED  TransferStartMessage       STARTED
            REQUESTED  TransferSuspensionMessage  400 INVALID_STATE_TRANSITION
            REQUESTED  TransferCompletionMessage  400 INVALID_STATE_TRANSITION
            REQUESTED  TransferTerminationMessage TERMINATED
            STARTED    TransferRequestMessage     400 INVALID_STATE_TRANSITION
            STARTED    TransferStartMessage       400 INVALID_STATE_TRANSITION
            STARTED    TransferSuspensionMessage  SUSPENDED
            STARTED    TransferCompletionMessage  COMPLETED
            STARTED    TransferTerminationMessage TERMINATED
            SUSPENDED  TransferRequestMessage     400 INVALID_STATE_TRANSITION
            SUSPENDED  TransferStartMessage       STARTED
            SUSPENDED  TransferSuspensionMessage  400 INVALID_STATE_TRANSITION
            SUSPENDED  TransferCompletionMessage  400 INVALID_STATE_TRANSITION
            SUSPENDED  TransferTerminationMessage TERMINATED
            COMPLETED  TransferRequestMessage     400 INVALID_STATE_TRANSITION
            COMPLETED  TransferStartMessage       400 INVALID_STATE_TRANSITION
            COMPLETED  TransferSuspensionMessage  400 INVALID_STATE_TRANSITION
            COMPLETED  TransferCompletionMessage  400 INVALID_STATE_TRANSITION
            COMPLETED  TransferTerminationMessage 400 INVALID_STATE_TRANSITION
            TERMINATED TransferRequestMessage     400 INVALID_STATE_TRANSITION
            TERMINATED TransferStartMessage       400 INVALID_STATE_TRANSITION
            TERMINATED TransferSuspensionMessage  400 INVALID_STATE_TRANSITION
            TERMINATED TransferCompletionMessage  400 INVALID_STATE_TRANSITION
            TERMINATED TransferTerminationMessage 400 INVALID_STATE_TRANSITION
        "#]]
        .assert_eq(&table);
    }

    #[test]
    fn names_round_trip() {
        for state in NEGOTIATION_STATES {
            assert_eq!(NegotiationState::parse(state.as_str()), Some(state));
        }
        for state in TRANSFER_STATES {
            assert_eq!(TransferState::parse(state.as_str()), Some(state));
        }
        assert_eq!(negotiation_event("ACCEPTED"), Some(NegotiationMessage::Accepted));
        assert_eq!(negotiation_event("AGREED"), None);
        assert_eq!(
            negotiation_transition(Some(NegotiationState::Agreed), NegotiationMessage::Request)
                .expect_err("a request after the agreement")
                .reason,
            "ContractRequestMessage is not allowed in state AGREED"
        );
    }
}
