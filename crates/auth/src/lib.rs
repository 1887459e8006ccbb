//! Credentials and tokens: EdDSA-signed JWT access tokens and their JWKS, argon2 password hashes,
//! and random secrets for OAuth clients, API keys and sessions.
//!
//! Everything here is pure computation over its inputs (keys, clock readings, random bytes from
//! the operating system); storage of keys and credentials belongs to the store.

pub mod jwt;
pub mod password;
pub mod secret;

pub use jwt::{AccessClaims, Keyring, TokenError};
