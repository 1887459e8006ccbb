//! A PACT client (blocking, on `ureq`): the token flow of the Technical Specifications (OpenID
//! discovery of the token endpoint, else `{base}/auth/token`; client credentials in HTTP Basic),
//! `ListFootprints` with pagination through `Link: rel="next"`, v3 and v2, retries with
//! exponential backoff, and posting events. Used by the outbox sender ([`crate::pact_delivery`])
//! and by `junkan pact fetch`. Redirects are never followed: a PACT host answers in place.

// ureq's own `Result<Response, ureq::Error>` is what its request builders return; the closures
// pass it through unchanged.
#![expect(
    clippy::result_large_err,
    reason = "ureq::Error is ureq's type, returned as is by its request builders"
)]

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use junkan_footprint::Footprint;
use junkan_model::Violation;

/// A PACT host and the credentials this node has there.
#[derive(Debug, Clone)]
pub struct PactClient {
    agent: ureq::Agent,
    /// The host's base URL (`https://host[/subpath]`, no trailing slash).
    pub base_url: String,
    /// The token endpoint, when known (else discovered).
    pub token_endpoint: Option<String>,
    client_id: String,
    client_secret: String,
    token: Option<String>,
    /// Attempts per request before giving up (server errors, 429 and transport errors retry).
    pub attempts: u32,
    /// First retry delay; doubled each time.
    pub retry_delay: Duration,
}

/// What went wrong talking to a PACT host.
#[derive(Debug, thiserror::Error)]
pub enum PactClientError {
    /// The host answered with an error status (after retries, for retryable ones).
    #[error("{url} answered {status}: {body}")]
    Status {
        /// The URL called.
        url: String,
        /// HTTP status.
        status: u16,
        /// The body, for the report.
        body: String,
    },
    /// The host could not be reached, or answered something unreadable.
    #[error("{0}")]
    Transport(String),
}

/// One partner's footprints as fetched: what was valid, and what was not with why.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FetchReport {
    /// The partner's base URL.
    pub partner: String,
    /// `2` or `3`.
    pub version: u8,
    /// Footprints received.
    pub fetched: usize,
    /// Pages read.
    pub pages: usize,
    /// Footprints that passed the schema and model checks, in the model.
    #[serde(skip)]
    pub valid: Vec<Footprint>,
    /// How many passed.
    pub valid_count: usize,
    /// The footprints that did not, with every violation.
    pub invalid: Vec<InvalidFootprint>,
}

/// A footprint a partner sent that breaks the rules.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InvalidFootprint {
    /// Its position in the listing.
    pub index: usize,
    /// Its `id`, as sent.
    pub id: Option<String>,
    /// Every violation, with JSON pointers into the footprint.
    pub violations: Vec<Violation>,
}

impl PactClient {
    /// A client of the host at `base_url` with client credentials.
    pub fn new(base_url: &str, token_endpoint: Option<String>, client_id: &str, client_secret: &str) -> PactClient {
        PactClient {
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(30))
                .redirects(0)
                .build(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            token_endpoint,
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            token: None,
            attempts: 5,
            retry_delay: Duration::from_millis(500),
        }
    }

    /// The token endpoint: configured, else the `token_endpoint` of the host's OpenID Provider
    /// configuration, else `{base}/auth/token`.
    pub fn discover_token_endpoint(&mut self) -> String {
        if let Some(endpoint) = &self.token_endpoint {
            return endpoint.clone();
        }
        let discovered = self
            .agent
            .get(&format!("{}/.well-known/openid-configuration", self.base_url))
            .call()
            .ok()
            .and_then(|response| response.into_json::<Value>().ok())
            .and_then(|document| document["token_endpoint"].as_str().map(str::to_owned))
            .filter(|endpoint| endpoint.starts_with("https://") || endpoint.starts_with("http://"));
        let endpoint = discovered.unwrap_or_else(|| format!("{}/auth/token", self.base_url));
        self.token_endpoint = Some(endpoint.clone());
        endpoint
    }

    /// A fresh access token (client credentials grant, HTTP Basic).
    pub fn fetch_token(&mut self) -> Result<String, PactClientError> {
        let endpoint = self.discover_token_endpoint();
        let encode =
            |text: &str| -> String { serde_urlencoded::to_string([("v", text)]).unwrap_or_default()[2..].to_owned() };
        let basic = STANDARD.encode(format!("{}:{}", encode(&self.client_id), encode(&self.client_secret)));
        let response = self.with_retries(&endpoint, |agent| {
            agent
                .post(&endpoint)
                .set("Authorization", &format!("Basic {basic}"))
                .set("Accept", "application/json")
                .send_form(&[("grant_type", "client_credentials")])
        })?;
        let body: Value = response
            .into_json()
            .map_err(|error| PactClientError::Transport(format!("the token response is not JSON: {error}")))?;
        let token = body["access_token"]
            .as_str()
            .ok_or_else(|| PactClientError::Transport("the token response has no access_token".to_owned()))?
            .to_owned();
        self.token = Some(token.clone());
        Ok(token)
    }

    fn bearer(&mut self) -> Result<String, PactClientError> {
        match &self.token {
            Some(token) => Ok(token.clone()),
            None => self.fetch_token(),
        }
    }

    /// Calls `request` up to `attempts` times, waiting `retry_delay`, doubled each time, after
    /// transport errors, 429 and 5xx answers.
    fn with_retries(
        &self,
        url: &str,
        request: impl Fn(&ureq::Agent) -> Result<ureq::Response, ureq::Error>,
    ) -> Result<ureq::Response, PactClientError> {
        let mut delay = self.retry_delay;
        let mut attempt = 1;
        loop {
            let outcome = request(&self.agent);
            let retryable = match &outcome {
                Ok(response) if (300..400).contains(&response.status()) => {
                    return Err(PactClientError::Status {
                        url: url.to_owned(),
                        status: response.status(),
                        body: "redirects are not followed on PACT APIs".to_owned(),
                    })
                }
                Ok(_) => false,
                Err(ureq::Error::Status(status, _)) => *status == 429 || *status >= 500,
                Err(ureq::Error::Transport(_)) => true,
            };
            if !retryable || attempt >= self.attempts {
                return match outcome {
                    Ok(response) => Ok(response),
                    Err(ureq::Error::Status(status, response)) => Err(PactClientError::Status {
                        url: url.to_owned(),
                        status,
                        body: response.into_string().unwrap_or_default().chars().take(2_000).collect(),
                    }),
                    Err(error) => Err(PactClientError::Transport(error.to_string())),
                };
            }
            std::thread::sleep(delay);
            delay *= 2;
            attempt += 1;
        }
    }

    /// Calls an authenticated URL, fetching a new token once when the host says 401.
    fn authorized(
        &mut self,
        url: &str,
        request: impl Fn(&ureq::Agent, &str) -> Result<ureq::Response, ureq::Error>,
    ) -> Result<ureq::Response, PactClientError> {
        let token = self.bearer()?;
        match self.with_retries(url, |agent| request(agent, &token)) {
            Err(PactClientError::Status { status: 401, .. }) => {
                let token = self.fetch_token()?;
                self.with_retries(url, |agent| request(agent, &token))
            }
            other => other,
        }
    }

    /// Posts a CloudEvent to the host's `/{version}/events`.
    pub fn post_event(&mut self, version: u8, event: &Value) -> Result<(), PactClientError> {
        let url = format!("{}/{version}/events", self.base_url);
        let body = event.to_string();
        self.authorized(&url, |agent, token| {
            agent
                .post(&url)
                .set("Authorization", &format!("Bearer {token}"))
                .set("Content-Type", "application/cloudevents+json; charset=UTF-8")
                .send_string(&body)
        })?;
        Ok(())
    }

    /// Every footprint the host lists for this node (`version` 3 or 2), following page links,
    /// each checked against the PACT schema of its version and the model's rules.
    pub fn fetch_footprints(
        &mut self,
        version: u8,
        query: &[(String, String)],
    ) -> Result<FetchReport, PactClientError> {
        let mut report = FetchReport {
            partner: self.base_url.clone(),
            version,
            ..FetchReport::default()
        };
        let query = serde_urlencoded::to_string(query).unwrap_or_default();
        let mut url = format!("{}/{version}/footprints", self.base_url);
        if !query.is_empty() {
            url = format!("{url}?{query}");
        }
        loop {
            let response = self.authorized(&url, |agent, token| {
                agent
                    .get(&url)
                    .set("Authorization", &format!("Bearer {token}"))
                    .set("Accept", "application/json")
                    .call()
            })?;
            let next = response.header("link").and_then(next_link);
            let body: Value = response.into_json().map_err(|error| {
                PactClientError::Transport(format!("{url} answered something other than JSON: {error}"))
            })?;
            report.pages += 1;
            let data = body["data"]
                .as_array()
                .ok_or_else(|| PactClientError::Transport(format!("{url} answered without a data array")))?;
            for document in data {
                let index = report.fetched;
                report.fetched += 1;
                let read = match version {
                    2 => junkan_footprint::pact::from_v2(document),
                    _ => junkan_footprint::pact::from_v3(document),
                };
                match read {
                    Ok(footprint) => report.valid.push(footprint),
                    Err(violations) => report.invalid.push(InvalidFootprint {
                        index,
                        id: document["id"].as_str().map(str::to_owned),
                        violations,
                    }),
                }
            }
            match next {
                Some(next) => url = next,
                None => break,
            }
        }
        report.valid_count = report.valid.len();
        Ok(report)
    }
}

/// The target of the `rel="next"` link of an RFC 8288 `Link` header.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|link| {
        let (target, parameters) = link.split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = parameters.split(';').any(|parameter| {
            let parameter = parameter.trim().replace(' ', "");
            parameter == "rel=\"next\"" || parameter == "rel=next"
        });
        is_next.then(|| target.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::next_link;

    #[test]
    fn next_links_are_found_among_others() {
        assert_eq!(
            next_link("<https://a.example/3/footprints?page=x>; rel=\"next\""),
            Some("https://a.example/3/footprints?page=x".to_owned())
        );
        assert_eq!(
            next_link("<https://a.example/prev>; rel=\"prev\", <https://a.example/next>; rel=next"),
            Some("https://a.example/next".to_owned())
        );
        assert_eq!(next_link("<https://a.example/prev>; rel=\"prev\""), None);
    }
}
