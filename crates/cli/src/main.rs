//! `junkan`: the one binary of a junkan node. `serve` runs the API, `migrate` prepares the
//! database, `admin` registers organizations, users and clients, `demo` loads the synthetic
//! circular economy and serves it.

mod bench;
mod config;
mod cpu;
mod credentials;
mod demo_certificates;
mod demo_cfp;
mod demo_circularity;
mod demo_signing;
mod pact;
mod passports;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

use junkan_auth::password::hash_password;
use junkan_auth::secret::{digest, generate_secret};
use junkan_model::organization::{NewOrganization, OrganizationFilter};
use junkan_model::page::PageRequest;
use junkan_model::principal::{Actor, NewCredential, NewUser, Role};
use junkan_server::{AppState, Settings};
use junkan_store::{NewUserRecord, Store, SystemClock};
use junkan_store_sql::SqlStore;

use crate::config::{Config, ConfigArgs};

/// mimalloc instead of the system allocator: capture allocates and frees many small values per
/// event (JSON trees, identifier strings, bind arguments) on several threads, and glibc's malloc
/// took a fifth of capture time (malloc, free and their consolidation in `perf`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// junkan (循環): circular economy information distribution platform node.
#[derive(Debug, Parser)]
#[command(name = "junkan", version, about)]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (migrates the database first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Administer organizations, users and clients.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Trace an identifier through the store (lineage), printing the graph as JSON.
    Trace {
        /// EPC URN, EPC class or pattern, or GS1 Digital Link.
        id: String,
        /// backward, forward or both.
        #[arg(long, default_value = "backward")]
        direction: String,
        /// Steps to follow (1-32).
        #[arg(long, default_value_t = 8)]
        depth: u32,
        /// See what this organization may see; without it, the node operator's auditing view
        /// (every read of restricted data is audited).
        #[arg(long = "as")]
        as_organization: Option<String>,
    },
    /// Compute a circularity indicator (循環性指標) from an input file and print the values with
    /// their provenance as JSON.
    Indicator {
        /// mci, company-mci, recycled-content, recyclability, cti, jp-material-flow,
        /// municipal-recycling-rate, cmu, battery-recycled-content or mass-balance.
        name: String,
        /// The inputs as a JSON object (`-` for standard input).
        #[arg(long)]
        input: String,
    },
    /// Run a benchmark and print its figures as JSON.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Import or export passport files (JSON Lines or CSV) through a node's API.
    #[command(subcommand)]
    Passports(PassportsCommand),
    /// PACT client: fetch a partner's footprints with a validation report, optionally import them.
    #[command(subcommand)]
    Pact(PactCommand),
    /// Verify what the node stores. `--log`: recompute the tamper-evident log (改ざん検知ログ)
    /// from the database and report the first divergence; exits 1 when there is one.
    ///
    /// `junkan verify <file>`: verify a credential file offline (検証): a `vc+jwt` (compact JWS,
    /// or JSON holding it) or an SD-JWT VC presentation, against the issuer's published DID
    /// document and status lists. Prints a JSON report of every check; exits 0 when all pass, 1
    /// when one fails, 2 for a usage error.
    Verify {
        /// Recompute the log from the store: every leaf's chain and hash, every record's content
        /// against its latest leaf, records without a leaf, every signed tree head.
        #[arg(long, conflicts_with = "file")]
        log: bool,
        /// The credential file to verify.
        #[arg(required_unless_present = "log")]
        file: Option<std::path::PathBuf>,
        /// The issuer's published DID document (did.json); repeat for several issuers.
        #[arg(long = "did")]
        did_documents: Vec<std::path::PathBuf>,
        /// A status list credential (vc+jwt, or JSON holding it); repeatable.
        #[arg(long = "status-list")]
        status_lists: Vec<std::path::PathBuf>,
        /// Verify as of this RFC 3339 time (default: now).
        #[arg(long)]
        at: Option<String>,
        /// Fetch DID documents (from the did:web URL) and status lists (from
        /// statusListCredential) not given as files.
        #[arg(long)]
        online: bool,
        /// Scheme of did:web URLs: https, or http for tests on loopback.
        #[arg(long, default_value = "https")]
        did_web_scheme: String,
    },
    /// Write a presentation of an SD-JWT VC (選択的開示) revealing only the chosen fields to
    /// standard output.
    Present {
        /// The SD-JWT file.
        file: std::path::PathBuf,
        /// JSON pointer of a field to reveal (its parents come along); repeatable.
        #[arg(long = "reveal")]
        reveal: Vec<String>,
    },
    /// Federation peers (連携ノード): register another junkan node whose organizations may then
    /// sign requests to this one and receive this node's organizations' requests.
    #[command(subcommand)]
    Peer(PeerCommand),
    /// Load the synthetic demo economy into a fresh store and serve it.
    Demo {
        /// Size multiplier: N > 1 adds (N - 1) x 50 organizations.
        #[arg(long, default_value_t = 1)]
        scale: u32,
        /// Load the data and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
}

/// `junkan peer ...`.
#[derive(Debug, Subcommand)]
enum PeerCommand {
    /// Register the node at this base URL as a peer: its DID document is fetched from
    /// `<url>/.well-known/did.json` and must be that of `did:web:<host of url>`.
    Add {
        /// The peer's public base URL (https; http on a loopback host for tests).
        url: String,
    },
    /// List the registered peers as JSON.
    List,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Capture synthetic EPCIS documents (validated, hashed, durably committed).
    Ingest {
        /// Events to capture.
        #[arg(long, default_value_t = 100_000)]
        events: u64,
        /// Events per document.
        #[arg(long, default_value_t = 1000)]
        batch: u64,
        /// The tamper-evident log: `on` (as a node runs), `off`, or `both` (two runs, with
        /// both throughputs and their ratio).
        #[arg(long, default_value = "both")]
        log: String,
        /// Also run with the log on and every capture signed by the capturing organization
        /// (as a node runs by default), reported next to the unsigned figures.
        #[arg(long)]
        sign: bool,
        /// Threads that read and prepare documents while others are stored (as that many
        /// clients' request handlers would).
        #[arg(long, default_value_t = 2)]
        preparers: usize,
        /// Documents being stored at once (clients waiting for their capture's answer); the
        /// embedded store commits those queued together in one transaction (group commit).
        #[arg(long, default_value_t = 2)]
        in_flight: usize,
    },
    /// Load synthetic chains, then time backward lineages (depth 8) and MATCH_epc queries.
    Trace {
        /// Events in the store.
        #[arg(long, default_value_t = 100_000)]
        events: u64,
        /// Timed lineages and queries.
        #[arg(long, default_value_t = 200)]
        samples: u64,
    },
    /// Serve the resolver in process and load it with anonymous requests for random passports
    /// (JSON-LD, then the HTML page).
    Resolve {
        /// Public passports in the store.
        #[arg(long, default_value_t = 10_000)]
        passports: u64,
        /// Keep-alive connections of the load generator.
        #[arg(long, default_value_t = 64)]
        connections: u64,
        /// Seconds of load per view.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Requests in flight per connection (HTTP/1.1 pipelining; 1: none).
        #[arg(long, default_value_t = 1)]
        pipeline: usize,
        /// How long a cached public view lives (the `resolver_cache_ttl_seconds` setting;
        /// default: the setting's default).
        #[arg(long)]
        cache_ttl_seconds: Option<u64>,
    },
    /// Write a 5-tier supply tree of 10,000 parts across 50 organizations through the store's
    /// Ouranos operations, then time the automaker's full CFP roll-up through the store (and the
    /// same roll-up in memory).
    Rollup {
        /// Timed roll-ups.
        #[arg(long, default_value_t = 100)]
        samples: u64,
        /// Seed of the synthetic tree.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Load the demo data set, sign in as the battery pack maker, and time each main page of the
    /// web application (server-side rendering; p50/p95/p99 and bytes per page).
    Ui {
        /// Timed requests per page.
        #[arg(long, default_value_t = 200)]
        samples: u64,
    },
    /// Publish synthetic footprints, then time PACT v3 `GET /3/footprints` with filters as a
    /// buyer reading under a grant.
    Footprints {
        /// Footprints in the store.
        #[arg(long, default_value_t = 100_000)]
        footprints: u64,
        /// Timed requests per query shape.
        #[arg(long, default_value_t = 300)]
        samples: u64,
    },
    /// Issue a battery passport credential (vc+jwt) and verify it N times on one thread, keys
    /// in memory as offline verification has them.
    Verify {
        /// Verifications.
        #[arg(long, default_value_t = 100_000)]
        n: u64,
    },
}

#[derive(Debug, Subcommand)]
enum PactCommand {
    /// Fetch every footprint a PACT partner lists for these credentials (discovery, pages,
    /// retries) and print a validation report as JSON.
    Fetch {
        /// The partner's PACT base URL, e.g. https://pact.partner.example.
        #[arg(long)]
        url: String,
        /// Client id at the partner.
        #[arg(long)]
        client_id: String,
        /// Client secret at the partner.
        #[arg(long, env = "JUNKAN_PACT_CLIENT_SECRET")]
        client_secret: String,
        /// The partner's token endpoint (default: discovered).
        #[arg(long)]
        token_endpoint: Option<String>,
        /// PACT version: 3 or 2 (v2.3).
        #[arg(long, default_value_t = 3)]
        version: u8,
        /// A criterion name=value (productId=urn:..., geography=JP, ...); repeat for more.
        #[arg(long = "criterion")]
        criteria: Vec<String>,
        /// Import the valid footprints into this junkan node (its base URL) ...
        #[arg(long)]
        import_url: Option<String>,
        /// ... with this bearer token of the importing organization.
        #[arg(long, env = "JUNKAN_TOKEN")]
        import_token: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum PassportsCommand {
    /// Import a .jsonl/.ndjson or .csv file: checked whole first (dry run), then written in
    /// chunks, with a progress bar.
    Import {
        /// The file.
        file: std::path::PathBuf,
        /// The node's base URL.
        #[arg(long, env = "JUNKAN_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Bearer token of a member of the owning organization (JWT or jk_ API key).
        #[arg(long, env = "JUNKAN_TOKEN", hide_env_values = true)]
        token: String,
        /// Passports per request (1-10000).
        #[arg(long, default_value_t = 1000)]
        chunk_size: usize,
        /// Only check the file.
        #[arg(long)]
        dry_run: bool,
    },
    /// Export the passports the token may read to a .jsonl or .csv file.
    Export {
        /// The file to write.
        output: std::path::PathBuf,
        /// Only this profile (required for CSV).
        #[arg(long)]
        profile: Option<String>,
        /// The node's base URL.
        #[arg(long, env = "JUNKAN_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Bearer token (JWT or jk_ API key); anonymous callers get public views.
        #[arg(long, env = "JUNKAN_TOKEN", hide_env_values = true, default_value = "")]
        token: String,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Register an organization from a JSON document (a file, or - for standard input).
    CreateOrganization {
        /// JSON file with the fields of POST /api/v1/organizations.
        #[arg(long)]
        json: String,
    },
    /// List organizations.
    ListOrganizations,
    /// Create a user of an organization.
    CreateUser {
        /// Organization id.
        #[arg(long)]
        organization: String,
        /// Sign-in name.
        #[arg(long)]
        username: String,
        /// Password (at least 12 characters); read from JUNKAN_ADMIN_PASSWORD when absent.
        #[arg(long, env = "JUNKAN_ADMIN_PASSWORD")]
        password: String,
        /// Role: node_admin, org_admin, member or auditor (repeatable).
        #[arg(long = "role", default_values_t = vec!["member".to_owned()])]
        roles: Vec<String>,
    },
    /// Create an OAuth client of an organization and print its id and secret.
    CreateClient {
        /// Organization id.
        #[arg(long)]
        organization: String,
        /// What the client is for.
        #[arg(long)]
        name: String,
        /// Role (repeatable).
        #[arg(long = "role", default_values_t = vec!["member".to_owned()])]
        roles: Vec<String>,
    },
    /// Rotate signing keys: the keys in use are retired now (they stay published and verify what
    /// they signed before) and a new key signs from now on. The node's keys take effect at the
    /// next start of `serve`.
    #[command(group(clap::ArgGroup::new("owner").required(true).args(["node", "organization"])))]
    RotateKey {
        /// The node's keys (access tokens, the log's tree heads, the node's DID document).
        #[arg(long)]
        node: bool,
        /// An organization's keys (the credentials it issues, its DID document).
        #[arg(long)]
        organization: Option<String>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve => {
            let config = cli.config.resolve("./data")?;
            init_logging(config.log_format.as_deref().unwrap_or("json"));
            let store = open_store(&config).await?;
            serve(&config, store).await
        }
        Command::Migrate => {
            let config = cli.config.resolve("./data")?;
            init_logging(config.log_format.as_deref().unwrap_or("text"));
            let store = open_store(&config).await?;
            println!("migrations applied: {:?}", store.applied_migrations().await?);
            Ok(())
        }
        Command::Peer(command) => {
            let config = cli.config.resolve("./data")?;
            init_logging(config.log_format.as_deref().unwrap_or("text"));
            let store = open_store(&config).await?;
            let state = AppState::new(Arc::new(store), Settings::new(&config.base_url))
                .await
                .context("loading the signing keys")?;
            match command {
                PeerCommand::Add { url } => {
                    let peer = junkan_server::handlers::federation::register_peer(
                        &state,
                        &junkan_model::principal::Actor::system(),
                        &junkan_model::federation::NewPeer { base_url: url },
                    )
                    .await
                    .map_err(|error| anyhow::anyhow!("the peer was not registered: {error:?}"))?;
                    println!("{}", serde_json::to_string_pretty(&peer)?);
                }
                PeerCommand::List => {
                    let peers = state.store.list_peers().await?;
                    println!("{}", serde_json::to_string_pretty(&peers)?);
                }
            }
            Ok(())
        }
        Command::Admin(command) => {
            let config = cli.config.resolve("./data")?;
            init_logging(config.log_format.as_deref().unwrap_or("text"));
            let store = open_store(&config).await?;
            admin(&store, command).await
        }
        Command::Bench(command) => {
            let config = cli.config.resolve("./data")?;
            init_logging(config.log_format.as_deref().unwrap_or("text"));
            // The benchmark uses its own fresh SQLite file unless a database URL is given explicitly.
            let url = cli.config.database_url.as_deref();
            let outcome = match command {
                BenchCommand::Ingest {
                    events,
                    batch,
                    log,
                    sign,
                    preparers,
                    in_flight,
                } => {
                    let pipeline = bench::Pipeline {
                        preparers: preparers.max(1),
                        in_flight: in_flight.max(1),
                    };
                    bench::bench_ingest(url, events, batch.max(1), &log, sign, pipeline).await
                }
                BenchCommand::Trace { events, samples } => {
                    bench::bench_trace(url, events.max(100), samples.max(1)).await
                }
                BenchCommand::Resolve {
                    passports,
                    connections,
                    seconds,
                    pipeline,
                    cache_ttl_seconds,
                } => {
                    bench::bench_resolve(
                        url,
                        passports.max(1),
                        connections.max(1),
                        seconds.max(1),
                        pipeline.max(1),
                        cache_ttl_seconds,
                    )
                    .await
                }
                BenchCommand::Rollup { samples, seed } => bench::bench_rollup(url, samples.max(1), seed).await,
                BenchCommand::Ui { samples } => bench::bench_ui(url, samples.max(1)).await,
                BenchCommand::Verify { n } => {
                    let report = credentials::bench_verify(n.max(1))?;
                    println!("{}", serde_json::to_string_pretty(&report)?);
                    Ok(())
                }
                BenchCommand::Footprints { footprints, samples } => {
                    bench::bench_footprints(url, footprints.max(1), samples.max(1)).await
                }
            };
            bench::remove_temporary_files();
            outcome
        }
        Command::Indicator { name, input } => indicator(&name, &input),
        Command::Trace {
            id,
            direction,
            depth,
            as_organization,
        } => {
            let config = cli.config.resolve("./data")?;
            init_logging(config.log_format.as_deref().unwrap_or("text"));
            let store = open_store(&config).await?;
            trace(&store, &id, &direction, depth, as_organization.as_deref()).await
        }
        Command::Passports(command) => {
            // Blocking HTTP calls: off the async workers.
            tokio::task::spawn_blocking(move || match command {
                PassportsCommand::Import {
                    file,
                    url,
                    token,
                    chunk_size,
                    dry_run,
                } => {
                    let report = passports::import(&passports::Node { url, token }, &file, chunk_size, dry_run)?;
                    println!("{report}");
                    Ok(())
                }
                PassportsCommand::Export {
                    output,
                    profile,
                    url,
                    token,
                } => {
                    let records = passports::export(&passports::Node { url, token }, &output, profile.as_deref())?;
                    eprintln!("{records} passports written to {}", output.display());
                    Ok(())
                }
            })
            .await?
        }
        Command::Pact(PactCommand::Fetch {
            url,
            client_id,
            client_secret,
            token_endpoint,
            version,
            criteria,
            import_url,
            import_token,
        }) => {
            anyhow::ensure!(version == 2 || version == 3, "--version is 3 or 2");
            let import = match (import_url, import_token) {
                (Some(url), Some(token)) => Some((url, token)),
                (None, None) => None,
                _ => bail!("--import-url and --import-token go together"),
            };
            let request = pact::Fetch {
                url,
                client_id,
                client_secret,
                token_endpoint,
                version,
                criteria,
                import,
            };
            let report = tokio::task::spawn_blocking(move || pact::fetch(&request)).await??;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Verify {
            file: Some(file),
            did_documents,
            status_lists,
            at,
            online,
            did_web_scheme,
            ..
        } => {
            let request = credentials::VerifyRequest {
                file,
                did_documents,
                status_lists,
                at,
                online,
                did_web_scheme,
            };
            verify_credential_file(request).await
        }
        Command::Present { file, reveal } => match credentials::present_file(&file, &reveal) {
            Ok(presentation) => {
                println!("{presentation}");
                Ok(())
            }
            Err(error) => {
                eprintln!("error: {error:#}");
                std::process::exit(if error.is::<credentials::UsageError>() { 2 } else { 1 });
            }
        },
        Command::Verify { log, .. } => {
            anyhow::ensure!(log, "say what to verify: --log");
            let config = cli.config.resolve("./data")?;
            init_logging(config.log_format.as_deref().unwrap_or("text"));
            let store = open_store(&config).await?;
            verify_log(&store).await
        }
        Command::Demo { scale, no_serve } => {
            let config = cli.config.resolve("./data/demo")?;
            init_logging(config.log_format.as_deref().unwrap_or("text"));
            demo(&config, scale, no_serve).await
        }
    }
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("JUNKAN_LOG").unwrap_or_else(|_| "info,sqlx=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// `junkan verify <file>`: the report as JSON on standard output, each failed check on standard
/// error; exit status 1 when a check failed, 2 for a usage error.
async fn verify_credential_file(request: credentials::VerifyRequest) -> anyhow::Result<()> {
    // Blocking file reads and (with --online) HTTP calls: off the async workers.
    let outcome = tokio::task::spawn_blocking(move || credentials::verify_file(&request)).await?;
    let report = match outcome {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(2);
        }
    };
    println!("{}", serde_json::to_string_pretty(&report)?);
    if report.valid {
        eprintln!("valid: every check passed");
        return Ok(());
    }
    let mut skipped = 0;
    for check in report.failures() {
        if check.outcome == junkan_credential::Outcome::Failed {
            eprintln!("failed: {}: {}", check.name.as_str(), check.message);
        } else {
            skipped += 1;
        }
    }
    if skipped > 0 {
        eprintln!("{skipped} check(s) not run because of these failures");
    }
    std::process::exit(1);
}

/// `junkan verify --log`: the report as JSON on standard output, the first divergence on
/// standard error, exit status 1 when the store and its log disagree.
async fn verify_log(store: &SqlStore) -> anyhow::Result<()> {
    let report = store.verify_log(&Actor::system()).await.context("verifying the log")?;
    let view = junkan_server::handlers::transparency_log::VerificationView::of(report);
    println!("{}", serde_json::to_string_pretty(&view)?);
    match view.divergences.first() {
        None => {
            eprintln!(
                "the log is intact: {} leaves, {} records, {} signed tree heads",
                view.leaves, view.records, view.tree_heads
            );
            Ok(())
        }
        Some(first) => {
            let leaf = first
                .leaf_index
                .map_or_else(|| "no leaf".to_owned(), |index| format!("leaf {index}"));
            eprintln!(
                "first divergence ({leaf}, {} {}): {}\n  expected: {}\n  found:    {}",
                first.record_kind,
                first.record_id,
                first.problem,
                first.expected.as_deref().unwrap_or("-"),
                first.found.as_deref().unwrap_or("-"),
            );
            std::process::exit(1);
        }
    }
}

async fn open_store(config: &Config) -> anyhow::Result<SqlStore> {
    if config.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).with_context(|| format!("creating {}", config.data_dir.display()))?;
    }
    let store = junkan_store_sql::open(&config.database_url, Arc::new(SystemClock))
        .await
        .with_context(|| format!("opening {}", config::redact(&config.database_url)))?;
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

async fn serve(config: &Config, store: SqlStore) -> anyhow::Result<()> {
    let mut settings = Settings::new(&config.base_url);
    settings.body_limit = config.body_limit_bytes;
    settings.token_lifetime = Duration::from_secs(config.token_lifetime_seconds);
    settings.resolver_cache_ttl = Duration::from_secs(config.resolver_cache_ttl_seconds);
    settings.sign_captures = config.sign_captures;
    settings.sign_records = config.sign_records;
    let store: Arc<dyn Store> = Arc::new(store.clone());
    let state = AppState::new(store.clone(), settings)
        .await
        .context("loading the signing keys")?;
    // Query subscriptions are delivered by a background task of the serving process.
    junkan_server::delivery::spawn(state.clone());
    // A node key rotated by `junkan admin` (any process on the same database) signs within 30 s.
    tokio::spawn(state.clone().reload_keys_periodically(Duration::from_secs(30)));
    // PACT events (answers to requests, notifications) leave through the outbox sender.
    tokio::spawn(junkan_server::pact_delivery::run(state.clone()));
    // The tamper-evident log's tree heads are signed on a timer (docs/log.md).
    if config.tree_head_interval_seconds > 0 {
        tokio::spawn(junkan_server::handlers::transparency_log::sign_periodically(
            state.clone(),
            Duration::from_secs(config.tree_head_interval_seconds),
        ));
    }
    let app = junkan_server::router(state);
    let address: SocketAddr = config
        .listen
        .parse()
        .with_context(|| format!("--listen {:?} is not an address", config.listen))?;
    let handle = axum_server::Handle::new();
    tokio::spawn(shutdown_on_signal(handle.clone()));
    tracing::info!(%address, base_url = %config.base_url, backend = ?store.backend(), "serving");
    match &config.tls {
        Some((cert, key)) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .with_context(|| format!("loading TLS certificate {} and key {}", cert.display(), key.display()))?;
            axum_server::bind_rustls(address, tls)
                .handle(handle)
                .serve(app.into_make_service())
                .await?;
        }
        None => {
            axum_server::bind(address)
                .handle(handle)
                .serve(app.into_make_service())
                .await?
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// Stops accepting connections on SIGTERM or Ctrl-C and lets running requests finish (30 s).
async fn shutdown_on_signal(handle: axum_server::Handle) {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = terminate => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!("shutting down gracefully");
    handle.graceful_shutdown(Some(Duration::from_secs(30)));
}

fn parse_roles(roles: &[String]) -> anyhow::Result<Vec<Role>> {
    roles
        .iter()
        .map(|role| {
            Role::parse(role)
                .with_context(|| format!("unknown role {role:?}: node_admin, org_admin, member or auditor"))
        })
        .collect()
}

async fn admin(store: &SqlStore, command: AdminCommand) -> anyhow::Result<()> {
    let system = Actor::system();
    match command {
        AdminCommand::CreateOrganization { json } => {
            let text = if json == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(&json)?
            };
            let new: NewOrganization = serde_json::from_str(&text).context("the JSON is not an organization")?;
            if let Err(violations) = new.validate() {
                for violation in &violations {
                    eprintln!("{}: {}", violation.path, violation.message);
                }
                bail!("the organization is invalid");
            }
            let organization = store.create_organization(&system, new).await?;
            println!("{}", serde_json::to_string_pretty(&organization)?);
        }
        AdminCommand::ListOrganizations => {
            let page = store
                .list_organizations(&OrganizationFilter::default(), &PageRequest::first(500))
                .await?;
            for organization in page.items {
                println!(
                    "{}\t{}\t{}",
                    organization.id,
                    organization.organization_type.as_str(),
                    organization.name_ja
                );
            }
        }
        AdminCommand::CreateUser {
            organization,
            username,
            password,
            roles,
        } => {
            let new = NewUser {
                username,
                display_name: String::new(),
                password,
                roles: parse_roles(&roles)?,
                locale: "ja".to_owned(),
            };
            let new = NewUser {
                display_name: new.username.clone(),
                ..new
            };
            if let Err(violations) = new.validate() {
                bail!(
                    "invalid user: {}",
                    violations
                        .iter()
                        .map(|v| format!("{} {}", v.path, v.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                );
            }
            let record = NewUserRecord {
                password_hash: hash_password(&new.password),
                username: new.username,
                display_name: new.display_name,
                roles: new.roles,
                locale: new.locale,
            };
            let user = store
                .create_user(
                    &system,
                    organization.parse().context("--organization is not an id")?,
                    record,
                )
                .await?;
            println!("{}", serde_json::to_string_pretty(&user)?);
        }
        AdminCommand::CreateClient {
            organization,
            name,
            roles,
        } => {
            let secret = generate_secret();
            let new = NewCredential {
                name,
                roles: parse_roles(&roles)?,
                expires_at: None,
            };
            let client = store
                .create_client(
                    &system,
                    organization.parse().context("--organization is not an id")?,
                    &new,
                    &digest(&secret),
                )
                .await?;
            println!(
                "{}",
                serde_json::json!({ "client_id": client.id, "client_secret": secret, "roles": client.roles })
            );
        }
        AdminCommand::RotateKey { node, organization } => {
            let owner = match (node, organization) {
                (true, None) => junkan_store::KeyOwner::Node,
                (false, Some(organization)) => {
                    junkan_store::KeyOwner::Organization(organization.parse().context("--organization is not an id")?)
                }
                _ => bail!("give either --node or --organization ID"),
            };
            let keys = store.rotate_key(&system, owner).await?;
            // The public side only: kid, public key, times.
            let listed: Vec<serde_json::Value> = keys
                .iter()
                .map(|key| {
                    serde_json::json!({
                        "kid": key.kid,
                        "public_key": key.public_key,
                        "created_at": key.created_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                        "retired_at": key.retired_at.and_then(|at| at.format(&time::format_description::well_known::Rfc3339).ok()),
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "keys": listed }))?
            );
        }
    }
    Ok(())
}

async fn trace(
    store: &SqlStore,
    id: &str,
    direction: &str,
    depth: u32,
    as_organization: Option<&str>,
) -> anyhow::Result<()> {
    let direction = match direction {
        "backward" => junkan_trace::Direction::Backward,
        "forward" => junkan_trace::Direction::Forward,
        "both" => junkan_trace::Direction::Both,
        other => bail!("--direction {other:?}: expected backward, forward or both"),
    };
    if !(1..=32).contains(&depth) {
        bail!("--depth must be between 1 and 32");
    }
    let actor = match as_organization {
        Some(organization) => Actor {
            kind: junkan_model::principal::PrincipalKind::User,
            principal_id: "command-line".to_owned(),
            organization_id: Some(organization.parse().context("--as is not an organization id")?),
            roles: vec![Role::Member],
            purpose: Some("junkan trace".to_owned()),
            request_id: None,
            grant: None,
        },
        None => Actor {
            roles: vec![Role::Auditor],
            purpose: Some("junkan trace (node operator)".to_owned()),
            ..Actor::system()
        },
    };
    let root = junkan_epcis::canonical_identifier(id);
    let mut tracer = junkan_trace::Tracer::new(&root, direction, depth);
    while let Some(wanted) = tracer.wanted() {
        let events = store.lineage_events(&actor, &wanted, &tracer.known_events()).await?;
        tracer.feed(events);
    }
    println!("{}", serde_json::to_string_pretty(&tracer.finish())?);
    Ok(())
}

async fn demo(config: &Config, scale: u32, no_serve: bool) -> anyhow::Result<()> {
    if !config.database_url.starts_with("sqlite:") {
        bail!("the demo makes a fresh embedded store; run it without --database-url (PostgreSQL databases are never wiped)");
    }
    std::fs::create_dir_all(&config.data_dir)?;
    for suffix in ["", "-wal", "-shm"] {
        let path = config.data_dir.join(format!("junkan.db{suffix}"));
        if path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("removing the previous demo store {}", path.display()))?;
        }
    }
    let store = open_store(config).await?;
    let started = std::time::Instant::now();
    let mut credentials = junkan_demo::load(&store, scale.max(1), &config.base_url)
        .await
        .context("loading the demo data")?;
    // The battery chain exchanges its CFP requests and answers through the node's own API.
    let state = AppState::new(Arc::new(store.clone()), Settings::new(&config.base_url))
        .await
        .context("loading the signing keys")?;
    let router = junkan_server::router(state.clone());
    let battery = demo_cfp::play(&router, &mut credentials)
        .await
        .context("playing the battery CFP exchange")?;
    credentials
        .examples
        .insert("battery_cfp".to_owned(), battery.record.clone());
    let circularity = demo_circularity::compute(&router, &mut credentials)
        .await
        .context("computing the demo companies' CTI")?;
    let company_mci = demo_circularity::compute_company_mci(&router, &mut credentials)
        .await
        .context("computing the demo companies' company MCI")?;
    let certificates = demo_certificates::issue(&router, &mut credentials)
        .await
        .context("issuing the demo's conformity certificates")?;
    // The owners sign their passports, footprints and captures, as the node does for writes
    // through its API.
    let signed = demo_signing::sign(&state, &credentials)
        .await
        .context("signing the demo's records")?;
    // Every write above appended its leaf to the tamper-evident log; the loaded state gets a
    // signed tree head.
    let head = junkan_server::handlers::transparency_log::sign_tree_head(&state, true)
        .await
        .context("signing the log's tree head")?
        .context("a tree head signed on demand is always stored")?;
    let credentials_path = config.data_dir.join("demo-credentials.json");
    std::fs::write(&credentials_path, serde_json::to_vec_pretty(&credentials)?)?;
    print_demo_banner(config, &credentials, &credentials_path, started.elapsed());
    println!(
        "  Battery CFP:  {} kgCO2e per vehicle battery (一次データ比率 / primary data {} %); as automaker-admin: GET {}/ouranos/api/v1/datatransport?dataTarget=cfpRollup&traceId={}",
        battery.total,
        battery.primary_data_share.as_deref().unwrap_or("-"),
        config.base_url,
        battery.vehicle_battery_trace_id
    );
    print_recycled_content(config, &credentials);
    demo_circularity::print(&config.base_url, &circularity);
    demo_circularity::print_company_mci(&config.base_url, &company_mci);
    demo_certificates::print(&config.base_url, &certificates);
    println!(
        "  Signed:       所有者の署名付き / signed by their owners: {} passport versions, {} footprints, {} EPCIS captures; verify: junkan verify <file> or POST {}/api/v1/verify",
        signed.passport_versions, signed.footprints, signed.captures, config.base_url
    );
    println!(
        "  Transparency log (改ざん検知ログ): {} writes, signed tree head root {}; {}/app/log, {}/.well-known/junkan-log/sth",
        head.head.size,
        junkan_translog::to_hex(&head.head.root),
        config.base_url,
        config.base_url
    );
    if no_serve {
        return Ok(());
    }
    serve(config, store).await
}

/// The demo's recycled-content claims (再生材含有率), computed by mass balance from its events.
fn print_recycled_content(config: &Config, credentials: &junkan_demo::DemoCredentials) {
    let Some(claims) = credentials
        .examples
        .get("recycled_content")
        .and_then(|value| value.as_array())
    else {
        return;
    };
    let text = |value: &serde_json::Value| value.as_str().unwrap_or("-").to_owned();
    let parts: Vec<String> = claims
        .iter()
        .map(|claim| {
            let battery = match (
                claim["battery_regulation"]["meets_2031"].as_bool(),
                claim["battery_regulation"]["meets_2036"].as_bool(),
            ) {
                (Some(meets_2031), Some(meets_2036)) => format!(
                    " (EU 2023/1542 Art. 8: 2031 {}, 2036 {})",
                    if meets_2031 { "met / 適合" } else { "not met / 未達" },
                    if meets_2036 { "met / 適合" } else { "not met / 未達" }
                ),
                _ => String::new(),
            };
            format!(
                "{} {} %{battery}",
                text(&claim["product"]),
                text(&claim["recycled_share_pct"])
            )
        })
        .collect();
    println!(
        "  Recycled:     再生材含有率（マスバランス、EPCISイベントから） / recycled content by mass balance from the events: {}; each claim traced to its input lots: GET {}{}",
        parts.join(", "),
        config.base_url,
        claims.first().map(|claim| text(&claim["trace"])).unwrap_or_default()
    );
}

fn print_demo_banner(config: &Config, credentials: &junkan_demo::DemoCredentials, path: &Path, took: Duration) {
    println!("junkan demo (循環デモ) loaded in {:.1} s", took.as_secs_f64());
    println!("  URL:          {}", config.base_url);
    println!("  Health:       {}/healthz", config.base_url);
    println!("  API docs:     {}/api/v1/openapi.json", config.base_url);
    println!("  Credentials:  {}", path.display());
    if let Some(login) = credentials.organizations.iter().find(|login| login.slug == "packmaker") {
        println!(
            "  Web app:      {}/app (ウェブアプリ / web application; sign in as {} / {}, the battery pack maker)",
            config.base_url, login.username, login.password
        );
    }
    println!(
        "  Node admin:   {} / {}",
        credentials.node_admin.username, credentials.node_admin.password
    );
    for login in credentials.organizations.iter().take(5) {
        println!("  {:<28} {} / {}", login.name, login.username, login.password);
    }
    println!(
        "  ... and {} more organizations in the credentials file",
        credentials.organizations.len().saturating_sub(5)
    );
    println!(
        "  Try: curl -s -u <client_id>:<client_secret> -d grant_type=client_credentials {}/auth/token",
        config.base_url
    );
    println!(
        "  Indicators:   {}/api/v1/indicators/jp-material-flow?scope=nation:JP&period=2000 (物質フロー指標 / material-flow indicators from the published FY2000 flows; targets and FY2019 values: .../jp-material-flow/series?scope=nation:JP&period=2015/2030)",
        config.base_url
    );
}

/// `junkan indicator`: the same computation as `POST /api/v1/indicators/{name}`, offline.
fn indicator(name: &str, input_path: &str) -> anyhow::Result<()> {
    let text = if input_path == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading the inputs from standard input")?
    } else {
        std::fs::read_to_string(input_path).with_context(|| format!("reading {input_path}"))?
    };
    let input: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{input_path} is not valid JSON"))?;
    let computation = junkan_indicators::compute(name, &input)?;
    println!("{}", serde_json::to_string_pretty(&computation)?);
    Ok(())
}
