//! Polling the System Log against the simulated org over real HTTP: the
//! first request from a time with a filter on event types, then the `next`
//! link, which returns only what was persisted since; events of other
//! types never come back.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime};

use okta_api::system_log::event_types;
use okta_client::{LogCursor, OktaClient, OktaSettings};
use okta_sim::{self as sim, SimConfig, SimHandle, SimUser};
use secrecy::SecretString;

const TOKEN: &str = "00sim-api-token-for-tests";

async fn start() -> (SimHandle, OktaClient) {
    let users = vec![
        SimUser::new("alice@example.com", "alice-password").with_groups(&["vpn-users"]),
        SimUser::new("bob@example.com", "bob-password").with_groups(&["vpn-users"]),
    ];
    let org = sim::start(
        SimConfig::new(users, TOKEN),
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
    )
    .await
    .expect("org starts");
    let client = OktaClient::new(OktaSettings::new(org.base_url(), SecretString::from(TOKEN)))
        .expect("client builds");
    (org, client)
}

#[tokio::test]
async fn polling_follows_next_links_and_the_filter() {
    let (org, client) = start().await;
    let since = SystemTime::now() - Duration::from_secs(60);
    assert!(org.deactivate_user("alice@example.com"));
    // An event of a type not asked for.
    assert!(org.reset_password("bob@example.com"));
    let first = client
        .system_log()
        .poll(&LogCursor::Since {
            since,
            event_types: vec![
                event_types::USER_DEACTIVATE.to_owned(),
                event_types::USER_SUSPEND.to_owned(),
            ],
        })
        .await
        .expect("the log is readable")
        .body;
    assert_eq!(first.events.len(), 1, "{:?}", first.events);
    assert_eq!(first.events[0].event_type, event_types::USER_DEACTIVATE);
    assert_eq!(
        first.events[0].user_logins().collect::<Vec<_>>(),
        ["alice@example.com"]
    );
    let next = first
        .next
        .expect("a polling request always has a next link");

    // Nothing new yet: an empty page, and a link to poll again.
    let empty = client
        .system_log()
        .poll(&LogCursor::Next(next.clone()))
        .await
        .expect("polls")
        .body;
    assert!(empty.events.is_empty(), "{:?}", empty.events);
    let next = empty.next.expect("still a next link");

    assert!(org.suspend_user("bob@example.com"));
    let later = client
        .system_log()
        .poll(&LogCursor::Next(next))
        .await
        .expect("polls")
        .body;
    assert_eq!(later.events.len(), 1, "{:?}", later.events);
    assert_eq!(later.events[0].event_type, event_types::USER_SUSPEND);
    assert_eq!(
        later.events[0].user_logins().collect::<Vec<_>>(),
        ["bob@example.com"]
    );
}

#[tokio::test]
async fn a_group_removal_names_the_user_and_the_group() {
    let (org, client) = start().await;
    let since = SystemTime::now() - Duration::from_secs(60);
    assert!(org.remove_from_group("alice@example.com", "vpn-users"));
    assert!(!org.remove_from_group("alice@example.com", "vpn-users"));
    assert_eq!(org.user_groups("alice@example.com"), Some(vec![]));
    let page = client
        .system_log()
        .poll(&LogCursor::Since {
            since,
            event_types: vec![event_types::GROUP_MEMBERSHIP_REMOVE.to_owned()],
        })
        .await
        .expect("polls")
        .body;
    assert_eq!(page.events.len(), 1);
    assert_eq!(
        page.events[0].group_names().collect::<Vec<_>>(),
        ["vpn-users"]
    );
}
