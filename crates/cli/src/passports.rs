//! `junkan passports import|export`: bulk passport files against a node's API, with a progress
//! bar on large files.
//!
//! An import is sent in chunks (one request, one transaction each). To keep a large file all or
//! nothing in practice, every chunk is first checked with `dry_run=true`; only when the whole
//! file passes are the chunks written. A chunk can still fail in the second pass if someone else
//! changes the same passports in between; the command then says which lines were written.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

/// Where and as whom to talk to a node.
pub struct Node {
    /// Base URL, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    /// Bearer token (JWT or `jk_` API key).
    pub token: String,
}

impl Node {
    fn agent() -> ureq::Agent {
        ureq::AgentBuilder::new().timeout(Duration::from_secs(300)).build()
    }

    fn post(&self, path: &str, media_type: &str, body: &str) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.url.trim_end_matches('/'));
        match Self::agent()
            .post(&url)
            .set("Authorization", &format!("Bearer {}", self.token))
            .set("Content-Type", media_type)
            .send_string(body)
        {
            Ok(response) => Ok(response.into_json()?),
            Err(ureq::Error::Status(status, response)) => {
                let problem: Value = response.into_json().unwrap_or(Value::Null);
                bail!("{url} answered {status}: {}", describe(&problem))
            }
            Err(error) => Err(error).with_context(|| format!("calling {url}")),
        }
    }
}

/// A problem+json answer in a few lines: its detail and each error with its pointer.
fn describe(problem: &Value) -> String {
    let mut text = problem["detail"].as_str().unwrap_or("").to_owned();
    if let Some(errors) = problem["errors"].as_array() {
        for error in errors.iter().take(50) {
            text.push_str(&format!(
                "\n  {} {}",
                error["path"].as_str().unwrap_or(""),
                error["message"].as_str().unwrap_or("")
            ));
        }
        if errors.len() > 50 {
            text.push_str(&format!("\n  … and {} more", errors.len() - 50));
        }
    }
    text
}

/// The file's records in chunks of `size`, each a request body; CSV chunks repeat the header.
fn chunks(text: &str, csv: bool, size: usize) -> Vec<(usize, String)> {
    let mut lines = text.lines().filter(|line| !line.trim().is_empty());
    let header = if csv { lines.next().map(str::to_owned) } else { None };
    let records: Vec<&str> = if csv {
        // A quoted CSV value may hold line breaks: keep such a record's lines together.
        let mut records = Vec::new();
        let mut current = String::new();
        for line in lines {
            if !current.is_empty() {
                current.push('\n');
            }
            current.push_str(line);
            if current.matches('"').count().is_multiple_of(2) {
                records.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            records.push(current);
        }
        return records
            .chunks(size)
            .enumerate()
            .map(|(index, chunk)| {
                let mut body = header.clone().unwrap_or_default();
                for record in chunk {
                    body.push('\n');
                    body.push_str(record);
                }
                body.push('\n');
                (index * size, body)
            })
            .collect();
    } else {
        lines.collect()
    };
    records
        .chunks(size)
        .enumerate()
        .map(|(index, chunk)| (index * size, chunk.join("\n") + "\n"))
        .collect()
}

fn bar(length: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(length);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} passports ({per_sec}, ETA {eta})")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

/// Imports a JSON Lines (`.jsonl`, `.ndjson`) or CSV (`.csv`) file.
pub fn import(node: &Node, file: &Path, chunk_size: usize, dry_run: bool) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let extension = file.extension().and_then(|extension| extension.to_str()).unwrap_or("");
    let (csv, media_type) = match extension {
        "csv" => (true, "text/csv"),
        "jsonl" | "ndjson" => (false, "application/x-ndjson"),
        other => bail!("{}: .{other} is neither .jsonl, .ndjson nor .csv", file.display()),
    };
    let chunk_size = chunk_size.clamp(1, 10_000);
    let chunks = chunks(&text, csv, chunk_size);
    let total: usize = chunks
        .iter()
        .map(|(_, body)| body.lines().count() - usize::from(csv))
        .sum();
    let mut totals = serde_json::json!({"created": 0, "updated": 0, "unchanged": 0, "dry_run": dry_run});
    for (pass, (query, what)) in [("?dry_run=true", "checking"), ("", "importing")]
        .into_iter()
        .enumerate()
    {
        if pass == 1 && dry_run {
            break;
        }
        let progress = bar(total as u64, what);
        for (first, body) in &chunks {
            let report = node
                .post(&format!("/api/v1/passports/import{query}"), media_type, body)
                .with_context(|| {
                    format!(
                        "{what} the passports from record {} on (paths below count from there){}",
                        first + 1,
                        if pass == 1 && *first > 0 {
                            format!("; the {first} records before were written")
                        } else {
                            String::new()
                        }
                    )
                })?;
            if pass == 1 || dry_run {
                for key in ["created", "updated", "unchanged"] {
                    totals[key] = Value::from(totals[key].as_u64().unwrap_or(0) + report[key].as_u64().unwrap_or(0));
                }
            }
            progress.inc((body.lines().count() - usize::from(csv)) as u64);
        }
        progress.finish();
    }
    Ok(totals)
}

/// Writes the passports the token may read to `output` (JSON Lines or CSV by extension).
pub fn export(node: &Node, output: &Path, profile: Option<&str>) -> anyhow::Result<u64> {
    let format = match output.extension().and_then(|extension| extension.to_str()) {
        Some("csv") => "csv",
        _ => "jsonl",
    };
    let mut url = format!(
        "{}/api/v1/passports/export?format={format}",
        node.url.trim_end_matches('/')
    );
    if let Some(profile) = profile {
        url.push_str(&format!("&profile={profile}"));
    }
    let body = match Node::agent()
        .get(&url)
        .set("Authorization", &format!("Bearer {}", node.token))
        .call()
    {
        Ok(response) => response.into_string()?,
        Err(ureq::Error::Status(status, response)) => {
            let problem: Value = response.into_json().unwrap_or(Value::Null);
            bail!("{url} answered {status}: {}", describe(&problem))
        }
        Err(error) => return Err(error).with_context(|| format!("calling {url}")),
    };
    let mut file = std::fs::File::create(output).with_context(|| format!("creating {}", output.display()))?;
    file.write_all(body.as_bytes())?;
    let records = body.lines().count().saturating_sub(usize::from(format == "csv"));
    Ok(records as u64)
}

#[cfg(test)]
mod tests {
    use super::chunks;

    #[test]
    fn csv_chunks_repeat_the_header_and_keep_quoted_line_breaks() {
        let text = "identifier,profile\na,x\n\"b\nc\",y\nd,z\n";
        let parts = chunks(text, true, 2);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], (0, "identifier,profile\na,x\n\"b\nc\",y\n".to_owned()));
        assert_eq!(parts[1], (2, "identifier,profile\nd,z\n".to_owned()));
        let lines = chunks("{}\n\n{}\n{}\n", false, 2);
        assert_eq!(lines, [(0, "{}\n{}\n".to_owned()), (2, "{}\n".to_owned())]);
    }
}
