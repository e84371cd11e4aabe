//! The management calls of the Okta client against the simulated org over
//! real HTTP: users by login (including logins with `/` and `+`), groups
//! across pages, factors, and factor verification without a password step
//! (OTP, SMS, push with poll, number matching and cancel).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use okta_api::authn::{FactorResult, FactorType};
use okta_api::users::{FactorStatus, GroupType, UserStatus};
use okta_client::error::{OktaError, codes};
use okta_client::{OktaClient, OktaReply, OktaSettings, UserFactorVerify};
use okta_sim::{
    self as sim, SimConfig, SimDirectory, SimFactor, SimHandle, SimPushResponse, SimUser, totp,
};
use secrecy::SecretString;

const TOKEN: &str = "00sim-api-token-for-tests";
const USER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 4));

fn config_with(extra: Vec<SimUser>) -> SimConfig {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/demo-users.toml");
    let mut users = SimDirectory::from_toml_file(path)
        .expect("the demo directory loads")
        .users;
    users.extend(extra);
    SimConfig::new(users, TOKEN)
}

async fn start(config: SimConfig) -> (SimHandle, OktaClient) {
    let org = sim::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .expect("org starts");
    let client = OktaClient::new(OktaSettings::new(org.base_url(), SecretString::from(TOKEN)))
        .expect("client builds");
    (org, client)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

fn refusal<T: std::fmt::Debug>(result: Result<OktaReply<T>, OktaError>) -> OktaError {
    match result {
        Ok(reply) => panic!("expected a refusal, got {:?}", reply.body),
        Err(error) => error,
    }
}

async fn factor_id(client: &OktaClient, user_id: &str, factor_type: FactorType) -> String {
    client
        .users()
        .factors(user_id)
        .await
        .expect("factors")
        .body
        .into_iter()
        .find(|factor| factor.factor_type == factor_type)
        .map(|factor| factor.id)
        .expect("enrolled")
}

#[tokio::test]
async fn users_are_found_by_login() {
    let mut odd = SimUser::new("ops/a+b@example.com", "odd-password");
    odd.profile
        .insert("department".to_owned(), "Network".to_owned());
    let plus = SimUser::new("first+tag@example.com", "plus-password");
    let (org, client) = start(config_with(vec![odd, plus])).await;

    let alice = client
        .users()
        .find("Alice@Example.com")
        .await
        .expect("alice")
        .body;
    assert!(alice.id.starts_with("00u") && alice.id.len() == 20);
    assert_eq!(alice.status, UserStatus::Active);
    assert_eq!(alice.profile.login, "alice@example.com");
    assert_eq!(alice.profile.email.as_deref(), Some("alice@example.com"));
    assert_eq!(alice.profile.first_name.as_deref(), Some("Alice"));
    assert_eq!(alice.profile.other["displayName"], "Alice Example");

    let locked = client
        .users()
        .find("locked@example.com")
        .await
        .expect("found");
    assert_eq!(locked.body.status, UserStatus::LockedOut);

    let odd = client
        .users()
        .find("ops/a+b@example.com")
        .await
        .expect("found");
    assert_eq!(odd.body.profile.login, "ops/a+b@example.com");
    assert_eq!(odd.body.profile.other["department"], "Network");
    let last = org.records().requests().pop().expect("a request");
    assert_eq!(last.path, "/api/v1/users", "a login with / is searched");

    let plus = client
        .users()
        .find("first+tag@example.com")
        .await
        .expect("found");
    assert_eq!(plus.body.profile.login, "first+tag@example.com");

    for missing in ["nobody@example.com", "no/body@example.com"] {
        let error = refusal(client.users().find(missing).await);
        assert_eq!(error.code(), Some(codes::NOT_FOUND), "{missing}");
        assert_eq!(error.http_status(), Some(404));
    }
    assert!(org.records().calls_to_prefix("/api/v1/users") >= 6);
}

#[tokio::test]
async fn groups_are_read_across_pages() {
    let mut config = config_with(vec![]);
    config.group_page_size = 1;
    let (org, client) = start(config).await;
    let alice = client
        .users()
        .find("alice@example.com")
        .await
        .expect("alice")
        .body;
    org.records().clear();
    let groups = client.users().groups(&alice.id).await.expect("groups").body;
    let names: Vec<_> = groups.iter().map(|g| g.profile.name.as_str()).collect();
    assert_eq!(names, ["Everyone", "vpn-users", "staff"]);
    assert_eq!(groups[0].group_type, GroupType::BuiltIn);
    assert_eq!(groups[1].group_type, GroupType::OktaGroup);
    assert!(groups[1].id.starts_with("00g"));
    assert!(groups[1].profile.description.is_some());
    assert_eq!(org.records().calls_to_prefix("/api/v1/users/"), 3);

    let error = refusal(client.users().groups("00uNOSUCHUSER0000000").await);
    assert_eq!(error.code(), Some(codes::NOT_FOUND));
}

#[tokio::test]
async fn factors_are_listed_unmasked() {
    let (_org, client) = start(config_with(vec![])).await;
    let grace = client
        .users()
        .find("grace@example.com")
        .await
        .expect("grace")
        .body;
    let factors = client
        .users()
        .factors(&grace.id)
        .await
        .expect("factors")
        .body;
    let types: Vec<_> = factors.iter().map(|f| f.factor_type.clone()).collect();
    assert_eq!(
        types,
        [
            FactorType::Push,
            FactorType::TokenSoftwareTotp,
            FactorType::Sms,
            FactorType::Call,
            FactorType::Email,
            FactorType::Question
        ]
    );
    assert!(factors.iter().all(|f| f.status == FactorStatus::Active));
    assert!(factors.iter().all(|f| f.id.len() == 20));
    assert!(factors.iter().all(|f| f.links.contains_key("verify")));
    assert_eq!(
        factors[2].profile.phone_number.as_deref(),
        Some("+1 555 0100 0142")
    );
    assert_eq!(
        factors[5].profile.question_text.as_deref(),
        Some("What is the name of your first pet?")
    );
}

#[tokio::test]
async fn otp_and_sms_verify_without_a_password_step() {
    let (org, client) = start(config_with(vec![])).await;
    let dave = client
        .users()
        .find("dave@example.com")
        .await
        .expect("dave")
        .body;
    let totp_id = factor_id(&client, &dave.id, FactorType::TokenSoftwareTotp).await;

    let wrong = SecretString::from(totp::code("JBSWY3DPEHPK3PXP", now() + 3600));
    let error = refusal(
        client
            .users()
            .verify_factor(
                &dave.id,
                &totp_id,
                &UserFactorVerify {
                    pass_code: Some(&wrong),
                    ..UserFactorVerify::default()
                },
                Some(USER_IP),
            )
            .await,
    );
    assert_eq!(error.code(), Some(codes::INVALID_PASSCODE));
    let right = SecretString::from(totp::code("JBSWY3DPEHPK3PXP", now()));
    let verify = UserFactorVerify {
        pass_code: Some(&right),
        ..UserFactorVerify::default()
    };
    let ok = client
        .users()
        .verify_factor(&dave.id, &totp_id, &verify, Some(USER_IP))
        .await
        .expect("verified");
    assert_eq!(ok.http_status, 200);
    assert_eq!(ok.body.factor_result, FactorResult::Success);
    let replayed = refusal(
        client
            .users()
            .verify_factor(&dave.id, &totp_id, &verify, Some(USER_IP))
            .await,
    );
    assert_eq!(replayed.code(), Some(codes::PASSCODE_REPLAYED));

    let erin = client
        .users()
        .find("erin@example.com")
        .await
        .expect("erin")
        .body;
    let sms_id = factor_id(&client, &erin.id, FactorType::Sms).await;
    let sent = client
        .users()
        .verify_factor(&erin.id, &sms_id, &UserFactorVerify::default(), None)
        .await
        .expect("code sent");
    assert_eq!(sent.body.factor_result, FactorResult::Challenge);
    let code = SecretString::from(
        org.last_code("erin@example.com", &FactorType::Sms)
            .expect("code"),
    );
    let done = client
        .users()
        .verify_factor(
            &erin.id,
            &sms_id,
            &UserFactorVerify {
                pass_code: Some(&code),
                ..UserFactorVerify::default()
            },
            None,
        )
        .await
        .expect("verified");
    assert_eq!(done.body.factor_result, FactorResult::Success);

    let error = refusal(
        client
            .users()
            .verify_factor(&erin.id, "mblNOSUCHFACTOR00000", &verify, None)
            .await,
    );
    assert_eq!(error.code(), Some(codes::NOT_FOUND));
}

#[tokio::test]
async fn push_is_polled_until_approved() {
    let (org, client) = start(config_with(vec![])).await;
    let carol = client
        .users()
        .find("carol@example.com")
        .await
        .expect("carol")
        .body;
    let push_id = factor_id(&client, &carol.id, FactorType::Push).await;
    let started = client
        .users()
        .verify_factor(
            &carol.id,
            &push_id,
            &UserFactorVerify::default(),
            Some(USER_IP),
        )
        .await
        .expect("push sent");
    assert_eq!(started.http_status, 201);
    assert_eq!(started.body.factor_result, FactorResult::Waiting);
    assert_eq!(started.body.correct_answer(), None);
    let poll = started.body.poll_href().expect("poll link").to_owned();
    assert!(poll.contains("/transactions/"));
    let first = client
        .users()
        .poll_factor(&poll)
        .await
        .expect("polled")
        .body;
    assert_eq!(first.factor_result, FactorResult::Waiting);
    let second = client
        .users()
        .poll_factor(&poll)
        .await
        .expect("polled")
        .body;
    assert_eq!(second.factor_result, FactorResult::Success);
    assert_eq!(org.records().pushes_sent("carol@example.com"), 1);
    let verify = org
        .records()
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/verify"))
        .expect("verify request");
    assert_eq!(verify.forwarded_for.as_deref(), Some("198.51.100.4"));
    assert!(
        verify
            .user_agent
            .is_some_and(|ua| ua.starts_with("okta-radius/"))
    );

    // Number matching on request.
    let matched = client
        .users()
        .verify_factor(
            &carol.id,
            &push_id,
            &UserFactorVerify {
                use_number_matching: true,
                ..UserFactorVerify::default()
            },
            None,
        )
        .await
        .expect("push sent");
    let number = matched.body.correct_answer().expect("a number");
    assert!((10..100).contains(&number));
}

#[tokio::test]
async fn cancelled_push_is_gone() {
    let waiting =
        SimUser::new("wendy@example.com", "w").with_factor(SimFactor::push(SimPushResponse::Wait));
    let rejecting =
        SimUser::new("rita@example.com", "r").with_factor(SimFactor::push(SimPushResponse::Reject));
    let (org, client) = start(config_with(vec![waiting, rejecting])).await;

    let wendy = client
        .users()
        .find("wendy@example.com")
        .await
        .expect("wendy")
        .body;
    let push_id = factor_id(&client, &wendy.id, FactorType::Push).await;
    let started = client
        .users()
        .verify_factor(&wendy.id, &push_id, &UserFactorVerify::default(), None)
        .await
        .expect("push sent");
    let cancel = started.body.cancel_href().expect("cancel link").to_owned();
    let cancelled = client
        .users()
        .cancel_factor(&cancel)
        .await
        .expect("cancelled");
    assert_eq!(cancelled.http_status, 204);
    assert_eq!(org.resolve_push("wendy@example.com", true), 0);
    let poll = started.body.poll_href().expect("poll").to_owned();
    let error = refusal(client.users().poll_factor(&poll).await);
    assert_eq!(error.code(), Some(codes::NOT_FOUND));

    let rita = client
        .users()
        .find("rita@example.com")
        .await
        .expect("rita")
        .body;
    let push_id = factor_id(&client, &rita.id, FactorType::Push).await;
    let started = client
        .users()
        .verify_factor(&rita.id, &push_id, &UserFactorVerify::default(), None)
        .await
        .expect("push sent");
    let poll = started.body.poll_href().expect("poll").to_owned();
    let mut result = FactorResult::Waiting;
    for _ in 0..5 {
        result = client
            .users()
            .poll_factor(&poll)
            .await
            .expect("polled")
            .body
            .factor_result;
        if result != FactorResult::Waiting {
            break;
        }
    }
    assert_eq!(result, FactorResult::Rejected);
}
