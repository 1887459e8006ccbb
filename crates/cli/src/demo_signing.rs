//! The demo's records signed by their owners (署名, issue 9), as a node signs what is written
//! through its API: every version of every passport and every footprint of the demo's
//! organizations, each as a kept `vc+jwt` credential of its owner
//! (`handlers::credentials::sign_written`), and every capture of the loops' events
//! (`trust::sign_capture`: a credential over the Merkle root of the capture's events). Records
//! already signed (the footprints the battery chain published through the API) are left as
//! they are.

use anyhow::Context;

use junkan_footprint::FootprintFilter;
use junkan_model::page::PageRequest;
use junkan_model::passport::{PassportFilter, PassportRead};
use junkan_server::handlers::credentials::{issue_record_credential, RecordRef};
use junkan_server::AppState;

/// How many records the demo signed.
#[derive(Debug, Default)]
pub struct Signed {
    /// Passport versions.
    pub passport_versions: usize,
    /// Footprints.
    pub footprints: usize,
    /// EPCIS captures.
    pub captures: usize,
}

/// Signs the demo's passports, footprints and captures.
pub async fn sign(state: &AppState, demo: &junkan_demo::DemoCredentials) -> anyhow::Result<Signed> {
    let store = state.store.as_ref();
    let mut signed = Signed::default();
    for organization in &demo.organizations {
        let actor = junkan_demo::organization_admin(organization.id);
        let mut records = Vec::new();
        let filter = PassportFilter {
            owner: Some(organization.id),
            ..PassportFilter::default()
        };
        let mut page = PageRequest::first(100);
        loop {
            let listed = store
                .list_passports(&actor, &filter, &page, PassportRead::default())
                .await?;
            for passport in &listed.items {
                records.extend(
                    (1..=passport.latest_version).map(|version| ("passport", passport.id.to_string(), Some(version))),
                );
            }
            match listed.next_after {
                Some(after) => {
                    page = PageRequest {
                        after: Some(after),
                        limit: 100,
                    }
                }
                None => break,
            }
        }
        let filter = FootprintFilter {
            owner: Some(organization.id),
            ..FootprintFilter::default()
        };
        let mut page = PageRequest::first(100);
        loop {
            let listed = store.list_footprints(&actor, &filter, &page).await?;
            records.extend(
                listed
                    .items
                    .iter()
                    .map(|stored| ("footprint", stored.footprint.id.to_string(), None)),
            );
            match listed.next_after {
                Some(after) => {
                    page = PageRequest {
                        after: Some(after),
                        limit: 100,
                    }
                }
                None => break,
            }
        }
        for (kind, id, version) in records {
            if store.kept_credential(kind, &id, version).await?.is_some() {
                continue;
            }
            let reference = RecordRef {
                kind: kind.to_owned(),
                id: id.clone(),
                version,
                ..RecordRef::default()
            };
            issue_record_credential(state, &actor, &reference, true)
                .await
                .map_err(|error| anyhow::anyhow!("signing {kind} {id}: {error:?}"))?;
            match kind {
                "passport" => signed.passport_versions += 1,
                _ => signed.footprints += 1,
            }
        }
    }
    for job in &demo.captures {
        let owner = job.owner_organization_id.context("a demo capture has its owner")?;
        let issued = junkan_server::trust::sign_capture(state, &junkan_demo::organization_admin(owner), job)
            .await
            .map_err(|error| anyhow::anyhow!("signing capture {}: {error:?}", job.capture_id))?;
        signed.captures += usize::from(issued.is_some());
    }
    Ok(signed)
}
