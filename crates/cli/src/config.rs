//! One typed configuration: defaults < file (`--config` / `JUNKAN_CONFIG`, TOML) < environment
//! (`JUNKAN_*`) < command-line flags. Clap merges the last two (a flag beats its variable); this
//! module lays the file and the defaults under them.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde::Deserialize;

/// Options shared by every command, from flags or `JUNKAN_*` variables.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// TOML configuration file.
    #[arg(long, env = "JUNKAN_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "JUNKAN_LISTEN", global = true)]
    pub listen: Option<String>,
    /// Directory for the embedded database and other files [default: ./data].
    #[arg(long, env = "JUNKAN_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://... [default: sqlite://<data-dir>/junkan.db].
    #[arg(long, env = "JUNKAN_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Public base URL of this node (token issuer) [default: http(s)://<listen>].
    #[arg(long, env = "JUNKAN_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// PEM certificate chain: serve HTTPS directly.
    #[arg(long, env = "JUNKAN_TLS_CERT", global = true, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "JUNKAN_TLS_KEY", global = true, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Log format: json or text [default: json for serve, text otherwise].
    #[arg(long, env = "JUNKAN_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
    /// Sign every EPCIS capture as the capturing organization (a credential over the Merkle root
    /// of its events' digests) [default: true].
    #[arg(long, env = "JUNKAN_SIGN_CAPTURES", global = true)]
    pub sign_captures: Option<bool>,
    /// Sign every passport version and footprint as its owner when it is written, and keep the
    /// credential (passport pages show its verification) [default: true].
    #[arg(long, env = "JUNKAN_SIGN_RECORDS", global = true)]
    pub sign_records: Option<bool>,
}

/// The configuration file's keys (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    base_url: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    log_format: Option<String>,
    body_limit_bytes: Option<usize>,
    token_lifetime_seconds: Option<u64>,
    resolver_cache_ttl_seconds: Option<u64>,
    tree_head_interval_seconds: Option<u64>,
    sign_captures: Option<bool>,
    sign_records: Option<bool>,
}

/// The resolved configuration.
#[derive(Clone)]
pub struct Config {
    /// Listen address.
    pub listen: String,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Database URL (may hold a password: redacted in `Debug`).
    pub database_url: String,
    /// Public base URL.
    pub base_url: String,
    /// TLS certificate and key.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// `json` or `text`.
    pub log_format: Option<String>,
    /// Largest request body.
    pub body_limit_bytes: usize,
    /// Access token lifetime.
    pub token_lifetime_seconds: u64,
    /// How long the resolver keeps rendered public views (0: no cache). Several instances over
    /// one database converge on each other's passport writes within this time.
    pub resolver_cache_ttl_seconds: u64,
    /// How often `serve` signs a tree head of the tamper-evident log when it has grown (0: never
    /// on a timer; `POST /api/v1/log/tree-heads` still signs on demand).
    pub tree_head_interval_seconds: u64,
    /// Whether each EPCIS capture is signed by the capturing organization (docs/trust.md).
    pub sign_captures: bool,
    /// Whether passport versions and footprints are signed by their owner when written.
    pub sign_records: bool,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact(&self.database_url))
            .field("base_url", &self.base_url)
            .field("tls", &self.tls)
            .field("log_format", &self.log_format)
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("token_lifetime_seconds", &self.token_lifetime_seconds)
            .field("resolver_cache_ttl_seconds", &self.resolver_cache_ttl_seconds)
            .field("tree_head_interval_seconds", &self.tree_head_interval_seconds)
            .field("sign_captures", &self.sign_captures)
            .field("sign_records", &self.sign_records)
            .finish()
    }
}

/// The URL with any password replaced by `***`.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl ConfigArgs {
    /// Resolves the configuration, with `default_data_dir` for commands that have their own.
    pub fn resolve(&self, default_data_dir: &str) -> anyhow::Result<Config> {
        let file = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
                toml::from_str::<FileConfig>(&text).with_context(|| format!("parsing {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let listen = self
            .listen
            .clone()
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let data_dir = self
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from(default_data_dir));
        let database_url = self
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("junkan.db").display()));
        let tls = match (
            self.tls_cert.clone().or(file.tls_cert),
            self.tls_key.clone().or(file.tls_key),
        ) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => anyhow::bail!("TLS needs both a certificate and a key"),
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base_url = self
            .base_url
            .clone()
            .or(file.base_url)
            .unwrap_or_else(|| format!("{scheme}://{listen}"));
        Ok(Config {
            listen,
            data_dir,
            database_url,
            base_url: base_url.trim_end_matches('/').to_owned(),
            tls,
            log_format: self.log_format.clone().or(file.log_format),
            body_limit_bytes: file.body_limit_bytes.unwrap_or(10 * 1024 * 1024),
            token_lifetime_seconds: file.token_lifetime_seconds.unwrap_or(3600),
            resolver_cache_ttl_seconds: file.resolver_cache_ttl_seconds.unwrap_or(60),
            tree_head_interval_seconds: file.tree_head_interval_seconds.unwrap_or(300),
            sign_captures: self.sign_captures.or(file.sign_captures).unwrap_or(true),
            sign_records: self.sign_records.or(file.sign_records).unwrap_or(true),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_file_beats_defaults() {
        let directory = std::env::temp_dir().join(format!("junkan-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&directory).expect("temp dir");
        let path = directory.join("junkan.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/junkan\"\ntoken_lifetime_seconds = 60\n",
        )
        .expect("write");
        let args = ConfigArgs {
            config: Some(path.clone()),
            data_dir: Some(PathBuf::from("/flag")),
            ..Default::default()
        };
        let config = args.resolve("./data").expect("valid");
        assert_eq!(config.listen, "127.0.0.1:9000");
        assert_eq!(config.data_dir, PathBuf::from("/flag"));
        assert_eq!(config.database_url, "sqlite:///flag/junkan.db");
        assert_eq!(config.base_url, "http://127.0.0.1:9000");
        assert_eq!(config.token_lifetime_seconds, 60);
        let defaults = ConfigArgs::default().resolve("./data").expect("valid");
        assert_eq!(defaults.listen, "127.0.0.1:8080");
        std::fs::write(&path, "unknown = 1\n").expect("write");
        assert!(args.resolve("./data").is_err(), "unknown keys are refused");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://junkan:secret@db:5432/junkan"),
            "postgres://junkan:***@db:5432/junkan"
        );
        assert_eq!(redact("sqlite://data/junkan.db"), "sqlite://data/junkan.db");
    }
}
