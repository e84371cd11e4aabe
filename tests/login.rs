//! `okta-radius login` against the real `okta-radius demo`, as an
//! administrator uses it: alice's password, a wrong password, a TOTP prompt,
//! the factor menu, a number-matching push, Status-Server, a wrong shared
//! secret; and, in a pseudo-terminal, prompts for secrets that do not echo
//! while the menu choice does.

mod support;

use okta_sim::totp;
use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::demo::{DEMO_SECRET, Demo};
use support::*;

/// dave's authenticator secret in the demo org.
const DAVE_TOTP: &str = "JBSWY3DPEHPK3PXP";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// Runs `okta-radius login` to completion with no terminal: the secret and
/// the password from the environment, `args` after the server.
fn login(demo: &Demo, password: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let output: Output = Command::new(binary())
        .arg("login")
        .arg(demo.radius.to_string())
        .args(args)
        .env("RADIUS_SECRET", DEMO_SECRET)
        .env("RADIUS_PASSWORD", password)
        .stdin(Stdio::null())
        .output()
        .expect("login runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn alice_logs_in_and_sees_her_reply_attributes_by_name() {
    let demo = Demo::start().await;
    let (code, out, err) = login(&demo, "alice-password", &["alice"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("Sent Access-Request Id"), "{out}");
    assert!(out.contains("\tUser-Name = \"alice\""), "{out}");
    assert!(out.contains("\tUser-Password = <hidden>"), "{out}");
    assert!(
        out.contains("\tNAS-Identifier = \"okta-radius-login\""),
        "{out}"
    );
    assert!(out.contains("Received Access-Accept Id"), "{out}");
    assert!(
        out.contains("\tMessage-Authenticator = <verified>"),
        "{out}"
    );
    // Class is `octets` in the dictionaries: "OU=vpn-users;" in hex.
    let class = format!("\tClass = 0x{}", hex::encode("OU=vpn-users;"));
    assert!(out.contains(&class), "{out}");
    assert!(out.contains("Access-Accept: alice is logged in"), "{out}");
    assert!(
        !out.contains("alice-password") && !err.contains("alice-password"),
        "the password is never printed:\n{out}{err}"
    );
}

#[tokio::test]
async fn a_wrong_password_is_rejected_with_the_servers_reason() {
    let demo = Demo::start().await;
    let (code, out, err) = login(&demo, "not-her-password", &["alice"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.contains("Received Access-Reject"), "{out}");
    assert!(
        out.contains("Access-Reject: Wrong user name or password."),
        "{out}"
    );
}

#[tokio::test]
async fn a_totp_user_answers_the_code_prompt_without_echo() {
    let demo = Demo::start().await;
    let code = totp::code(DAVE_TOTP, now());
    let (status, out, err) = login(&demo, "dave-password", &["dave", "--answer", &code]);
    assert_eq!(status, Some(0), "{out}{err}");
    assert!(out.contains("Received Access-Challenge"), "{out}");
    assert!(out.contains("\tState = <hidden>"), "{out}");
    assert!(
        err.contains("Enter the code from your authenticator app:\n> <hidden>"),
        "the code prompt hides its answer:\n{err}"
    );
    assert!(!out.contains(&code) && !err.contains(&code), "{out}{err}");
    assert!(out.contains("Access-Accept: dave is logged in"), "{out}");
}

#[tokio::test]
async fn the_factor_menu_is_answered_then_the_security_question() {
    let demo = Demo::start().await;
    // grace's menu: push, authenticator app, SMS, call, email, question.
    let (code, out, err) = login(
        &demo,
        "grace-password",
        &["grace", "--answer", "6", "--answer", "Rex"],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        err.contains("Choose a second factor (type its number):"),
        "{err}"
    );
    assert!(
        err.contains("> 6    (from --answer)"),
        "the menu choice shows:\n{err}"
    );
    assert!(
        err.contains("What is the name of your first pet?\n> <hidden>"),
        "the answer to the question does not:\n{err}"
    );
    assert_eq!(out.matches("Received Access-Challenge").count(), 2, "{out}");
    assert!(out.contains("Access-Accept: grace is logged in"), "{out}");
}

#[tokio::test]
async fn a_number_matching_push_shows_the_number_and_waits_for_the_phone() {
    let demo = Demo::start().await;
    // Enter, and Enter again while the phone has not answered yet (the
    // server holds each request up to its deadline, then asks again).
    let (code, out, err) = login(
        &demo,
        "henry-password",
        &["henry", "--answer", "", "--answer", "", "--answer", ""],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    let prompt = err
        .lines()
        .find(|line| line.starts_with("Tap "))
        .unwrap_or_else(|| panic!("no number prompt:\n{err}"));
    let number = prompt
        .trim_start_matches("Tap ")
        .split(' ')
        .next()
        .unwrap_or_default();
    assert!(
        !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()),
        "{prompt}"
    );
    assert!(
        prompt.ends_with("in Okta Verify, then press Enter."),
        "{prompt}"
    );
    assert!(out.contains("Access-Accept: henry is logged in"), "{out}");
}

#[tokio::test]
async fn a_challenge_with_no_answer_left_ends_with_status_4() {
    let demo = Demo::start().await;
    let (code, out, err) = login(&demo, "dave-password", &["dave"]);
    assert_eq!(code, Some(4), "{out}{err}");
    assert!(err.contains("none is left (add --answer)"), "{err}");
}

#[tokio::test]
async fn status_server_is_answered() {
    let demo = Demo::start().await;
    let (code, out, err) = login(&demo, "", &["--status"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("Sent Status-Server Id"), "{out}");
    assert!(
        out.contains("answered Status-Server with Access-Accept"),
        "{out}"
    );
}

#[tokio::test]
async fn a_wrong_shared_secret_gets_no_reply_and_the_hint_says_why() {
    let demo = Demo::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "not-the-secret\n").expect("write");
    let output = Command::new(binary())
        .arg("login")
        .arg(demo.radius.to_string())
        .arg("alice")
        .arg("--secret-file")
        .arg(&secret)
        .args(["--timeout", "0.3", "--retries", "1"])
        .env("RADIUS_PASSWORD", "alice-password")
        .stdin(Stdio::null())
        .output()
        .expect("login runs");
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(
        err.contains("sending the same request again (2 of 2)"),
        "{err}"
    );
    assert!(err.contains("no valid reply after 2 tries"), "{err}");
    assert!(err.contains("shared secret"), "{err}");
}

#[test]
fn secrets_cannot_be_given_on_the_command_line() {
    let output = Command::new(binary())
        .args(["login", "127.0.0.1", "alice", "--secret", "testing123"])
        .stdin(Stdio::null())
        .output()
        .expect("login runs");
    assert_eq!(output.status.code(), Some(2));
    let help = Command::new(binary())
        .args(["login", "--help"])
        .output()
        .expect("help runs");
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--secret-file") && help.contains("RADIUS_SECRET"),
        "{help}"
    );
    assert!(!help.contains("--secret <"), "{help}");
    assert!(!help.contains("--password <"), "{help}");
}

/// What a program in a pseudo-terminal has written so far.
#[derive(Clone, Default)]
struct Screen(Arc<Mutex<String>>);

impl Screen {
    fn text(&self) -> String {
        self.0.lock().map(|t| t.clone()).unwrap_or_default()
    }

    /// Waits until the screen shows `what`; returns everything up to now.
    fn wait_for(&self, what: &str) -> String {
        let start = Instant::now();
        loop {
            let text = self.text();
            if text.contains(what) {
                return text;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the terminal never showed {what:?}:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Whether the terminal echoes what is typed, as the program in it set it.
fn echoes(master: &dyn portable_pty::MasterPty) -> bool {
    master
        .get_termios()
        .expect("the terminal's settings")
        .local_flags
        .contains(nix::sys::termios::LocalFlags::ECHO)
}

/// Waits until the terminal's echo is `on` (the program set it so, and now
/// reads); panics after 20 s.
fn wait_for_echo(master: &dyn portable_pty::MasterPty, on: bool, screen: &Screen) {
    let start = Instant::now();
    while echoes(master) != on {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the terminal's echo never turned {}:\n{}",
            if on { "on" } else { "off" },
            screen.text()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[tokio::test]
async fn at_a_terminal_secrets_are_not_echoed_and_the_menu_choice_is() {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};

    let demo = Demo::start().await;
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 160,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pseudo-terminal");
    let mut command = CommandBuilder::new(binary());
    command.args(["login", &demo.radius.to_string(), "grace"]);
    command.env("RADIUS_SECRET", DEMO_SECRET);
    command.env_remove("RADIUS_PASSWORD");
    let mut child = pair.slave.spawn_command(command).expect("login starts");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("reader");
    let mut keyboard = pair.master.take_writer().expect("writer");
    let screen = Screen::default();
    let sink = screen.clone();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buffer) {
            if n == 0 {
                break;
            }
            if let Ok(mut text) = sink.0.lock() {
                text.push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        }
    });

    screen.wait_for("Password for grace: ");
    wait_for_echo(&*pair.master, false, &screen);
    keyboard.write_all(b"grace-password\r").expect("type");
    let shown = screen.wait_for("> ");
    assert!(shown.contains("Choose a second factor"), "{shown}");
    assert!(
        !shown.contains("grace-password"),
        "the password echoed:\n{shown}"
    );

    assert!(echoes(&*pair.master), "the menu is read with echo on");
    keyboard.write_all(b"question\r").expect("type");
    screen.wait_for("> question");
    let shown = screen.wait_for("What is the name of your first pet?");
    wait_for_echo(&*pair.master, false, &screen);
    keyboard.write_all(b"Rex\r").expect("type");
    let shown_after = screen.wait_for("Access-Accept: grace is logged in");
    assert!(
        !shown_after.contains("Rex"),
        "the answer echoed:\n{shown_after}"
    );
    assert!(
        shown.contains("> question"),
        "the menu choice shows:\n{shown}"
    );
    let status = child.wait().expect("login ends");
    assert!(status.success(), "{}", screen.text());
}
