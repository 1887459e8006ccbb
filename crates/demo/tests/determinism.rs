//! The demo dataset is the same on every load, and `--scale` grows it as documented.

use std::sync::Arc;

use junkan_model::facility::FacilityFilter;
use junkan_model::organization::OrganizationFilter;
use junkan_model::page::PageRequest;
use junkan_model::principal::Actor;
use junkan_store::{Store, SystemClock};

async fn load(scale: u32) -> (Vec<(String, Option<String>, Option<String>)>, usize) {
    let directory =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("junkan-demo-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&directory).expect("temp dir");
    let store = junkan_store_sql::open(
        &format!("sqlite://{}", directory.join("junkan.db").display()),
        Arc::new(SystemClock),
    )
    .await
    .expect("open");
    store.migrate().await.expect("migrate");
    let credentials = junkan_demo::load(&store, scale, "http://demo.test")
        .await
        .expect("load");
    assert_eq!(credentials.organizations.len(), 23);
    let mut organizations = Vec::new();
    let mut page = PageRequest::first(500);
    loop {
        let result = store
            .list_organizations(&OrganizationFilter::default(), &page)
            .await
            .expect("list");
        organizations.extend(result.items.into_iter().map(|organization| {
            (
                organization.name_ja,
                organization.corporate_number,
                organization.prefecture_code,
            )
        }));
        match result.next_after {
            Some(after) => page.after = Some(after),
            None => break,
        }
    }
    organizations.sort();
    let auditor = Actor {
        roles: vec![junkan_model::principal::Role::Auditor],
        ..Actor::system()
    };
    let facilities = store
        .list_facilities(&auditor, &FacilityFilter::default(), &PageRequest::first(500))
        .await
        .expect("facilities")
        .items
        .len();
    (organizations, facilities)
}

#[tokio::test]
async fn same_data_every_time_and_scale_adds_fifty_organizations_per_step() {
    let (first, first_facilities) = load(2).await;
    let (second, second_facilities) = load(2).await;
    assert_eq!(first, second, "the dataset is deterministic");
    assert_eq!(first_facilities, second_facilities);
    assert_eq!(first.len(), 1 + 23 + 50, "operator, base members, one scale step");
    let prefectures: std::collections::BTreeSet<_> = first
        .iter()
        .filter_map(|(_, _, prefecture)| prefecture.clone())
        .collect();
    assert!(
        prefectures.len() >= 10,
        "members spread over many prefectures: {prefectures:?}"
    );
}
