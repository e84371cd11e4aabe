//! `okta-radius serve -X`, the debug mode an administrator runs to watch a
//! login as FreeRADIUS users watch `radiusd -X`: human-readable lines, and
//! for each request its attributes with the password hidden, the client,
//! each Okta call with its status and Okta request id, the user's groups
//! and the policy's rules, and the reply's attributes.

mod support;

use radius_proto::packet::Code;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_mode_shows_one_login_from_request_to_reply() {
    let org = start_org().await;
    // The config asks for JSON at info: -X wins.
    let config = config_for(&org.base_url())
        .replace("level = \"debug\"", "level = \"info\"")
        .replace(
            "deadline_ms = 2000\n",
            "deadline_ms = 2000\npolicy = \"vpn\"\n",
        )
        + r#"
[policies.vpn]
require_groups = ["vpn-*"]

[[policies.vpn.reply]]
when_group = "vpn-*"
attribute = "Class"
value = "OU={group};"
"#;
    let server = TestServer::start_with_args(&config, &["-X"]).await;
    assert_eq!(
        login_code(server.radius, "alice", "alice-password").await,
        Some(Code::AccessAccept)
    );
    server
        .logs
        .wait_for_line("the reply", |line| {
            line.contains("reply") && line.contains("Access-Accept")
        })
        .await;
    let lines = server.logs.lines();
    let text = lines.join("\n");
    let find = |needle: &str| {
        lines
            .iter()
            .find(|line| line.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle}:\n{text}"))
            .clone()
    };

    // Human lines, not JSON.
    assert!(lines.iter().all(|line| !line.starts_with('{')), "{text}");
    let request = find("Access-Request");
    assert!(
        request.contains("client=test-nas") && request.contains("User-Name"),
        "{request}"
    );
    assert!(
        !text.contains("alice-password"),
        "the password is never shown:\n{text}"
    );
    let okta = find("path=\"/api/v1/authn\"");
    assert!(
        okta.contains("Okta answered") && okta.contains("http_status=200"),
        "{okta}"
    );
    let request_id = okta
        .split_once("request_id=")
        .map(|(_, rest)| rest.split_whitespace().next().unwrap_or(""))
        .unwrap_or("");
    assert!(request_id.len() > 10, "Okta's request id is shown: {okta}");
    assert!(
        find("the user's Okta groups").contains("vpn-users"),
        "{text}"
    );
    assert!(find("require_groups").contains("vpn-*"), "{text}");
    assert!(find("reply rule").contains("Class"), "{text}");
    let reply = find("Access-Accept");
    assert!(reply.contains("Class"), "the reply's attributes: {reply}");
    // Every line of the request carries its id.
    assert!(okta.contains("request{id="), "{okta}");
}
