//! Verifiable credentials for junkan's trust services (トラストサービス), as pure functions: no IO,
//! no async. Keys come in through [`KeyResolver`], status lists through [`StatusListSource`];
//! the store, the HTTP server and the CLI supply them.
//!
//! # API overview
//!
//! **Keys** ([`keys`]): [`IssuerKey`] is a signing key with its DID URL (`kid`,
//! `did:web:host:organizations:abc#key-1`); [`VerificationMethod`] is its public side with the
//! controller DID and service period (`valid_from`, `retired_at`); [`KeyResolver`] finds a
//! method by `kid` (implemented by `[VerificationMethod]`, [`DidDocument`], `[DidDocument]`, and
//! closures through [`ResolveKeyWith`]).
//!
//! **VC 2.0 as `vc+jwt`** ([`vc`]): [`validate_credential`] lists every shape problem;
//! [`issue_vc_jwt`] validates and signs (header `alg: EdDSA, typ: vc+jwt, cty: vc, kid`, payload
//! the credential plus `iat`); [`verify_vc_jwt`] returns a [`VerificationReport`] with one
//! [`Check`] per [`CheckName`] (format, shape, key, signature, issuer, key_validity,
//! validity_period, status), each passed, failed (with a typed [`Failure`]) or skipped;
//! [`verify_vc_jwt_verdict`] runs the same checks without building the claims (faster). The
//! [`VerificationContext`] carries the resolver, the optional status list source and `now`.
//!
//! **DID documents** ([`did`]): [`did_web`] / [`did_web_url`] map `did:web` to its HTTPS (or, for
//! loopback tests, HTTP) URL; [`DidDocument::new`] + [`DidDocument::to_json`] publish keys
//! (`JsonWebKey`, retired keys with `revoked`); [`DidDocument::parse`] checks a fetched document
//! against the DID asked for; [`jwks`] gives the RFC 7517 key set.
//!
//! **Bitstring Status List** ([`status_list`]): [`StatusList`] (set/get, `encode`/`decode`),
//! [`StatusListEntry`] for a credential's `credentialStatus`, [`status_list_credential`] for the
//! unsigned list credential (sign it with [`issue_vc_jwt`], same issuer as the credentials it
//! covers). Verification fetches each entry's list through [`StatusListSource`], verifies it as a
//! `vc+jwt` with the same keys and time, and fails `status` when the bit is set (`revoked`).
//!
//! **SD-JWT VC** ([`sd_jwt`], 選択的開示): [`issue_sd_jwt_vc`] conceals the claims at chosen JSON
//! pointers behind SHA-256 digests; [`present`] keeps only the disclosures the revealed pointers
//! need ([`present_with_key_binding`] adds a `kb+jwt`); [`verify_sd_jwt_vc`] checks the issuer's
//! signature as for `vc+jwt` plus every disclosure (a disclosure the signed payload does not hold
//! fails `disclosures`) and returns the disclosed claims in the report.

pub mod did;
pub mod http_signature;
pub mod jose;
pub mod keys;
pub mod report;
pub mod sd_jwt;
pub mod status_list;
pub mod vc;

#[cfg(test)]
mod tests;

pub use did::{did_web, did_web_url, jwks, DidDocument, DidError, UrlScheme};
pub use keys::{
    controller_of, InvalidKid, IssuerKey, KeyResolutionError, KeyResolver, ResolveKeyWith, VerificationMethod,
};
pub use report::{Check, CheckName, Failure, Format, Outcome, VerificationReport};
pub use sd_jwt::{
    every_pointer, issue_sd_jwt_vc, present, present_with_key_binding, verify_sd_jwt_vc, KeyBindingRequirement,
    PresentError, SdJwtVcRequest,
};
pub use status_list::{
    status_list_credential, FetchStatusListWith, StatusList, StatusListEntry, StatusListError, StatusListSource,
    StatusPurpose,
};
pub use vc::{
    issue_vc_jwt, validate_credential, verify_vc_jwt, verify_vc_jwt_verdict, IssueError, VerificationContext,
};
