//! What the 802.1X tests share: a server config with `[eap]` on the test
//! CA's certificate, and `eapol_test` (wpa_supplicant's test client, which
//! plays the access point and the laptop at once) run against it, either
//! with every answer in its config or answering its prompts through its
//! control interface as a user at the login dialog would.

use super::tls::Pki;
use super::{SECRET, TestServer, config_for, with_client_keys};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The usual test config with `[eap]` on the test CA's server certificate
/// and the test client answering EAP; `mfa` goes in `[clients.mfa]`.
pub fn eap_config(org_url: &str, pki: &Pki, mfa: &str) -> String {
    format!(
        "{}\n[clients.mfa]\npush_timeout_seconds = 10\n{mfa}\n\n[eap]\ncertificate_file = \"{}\"\nprivate_key_file = \"{}\"\n",
        with_client_keys(&config_for(org_url), "eap = true"),
        pki.path("server.pem").display(),
        pki.path("server.key").display(),
    )
}

/// A `network={...}` block: `settings` are its lines (eap=..., identity=...).
pub fn network(ca_file: &Path, settings: &[String]) -> String {
    let mut block = format!(
        "network={{\n  key_mgmt=WPA-EAP\n  anonymous_identity=\"anonymous\"\n  ca_cert=\"{}\"\n",
        ca_file.display()
    );
    for line in settings {
        block.push_str("  ");
        block.push_str(line);
        block.push('\n');
    }
    block.push_str("}\n");
    block
}

/// What eapol_test said, and whether it reached EAP-Success.
pub struct Run {
    pub success: bool,
    pub output: String,
}

impl Run {
    /// The keys in the Access-Accept are the ones the supplicant derived.
    pub fn keys_matched(&self) -> bool {
        self.output.contains("MPPE keys OK: 1  mismatch: 0")
    }

    /// The last lines of the output, for assertion messages.
    pub fn tail(&self) -> String {
        let lines: Vec<&str> = self.output.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

fn command(server: &TestServer, conf: &Path) -> Command {
    let mut command = Command::new("eapol_test");
    command
        .arg("-c")
        .arg(conf)
        .args(["-a", "127.0.0.1", "-p", &server.radius.port().to_string()])
        .args(["-s", SECRET, "-t", "30", "-r", "0"]);
    command
}

fn finish(output: std::process::Output) -> Run {
    let text = super::printed(&output);
    Run {
        success: output.status.success() && text.lines().any(|l| l.trim() == "SUCCESS"),
        output: text,
    }
}

/// Runs eapol_test with one `network` block and every answer in it.
pub async fn eapol_test(server: &TestServer, network: String) -> Run {
    eapol_test_with(server, network, &[]).await
}

/// [`eapol_test`] with more arguments (`-N12:d:300`: a Framed-MTU).
pub async fn eapol_test_with(server: &TestServer, network: String, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("eapol.conf");
    std::fs::write(&conf, network).expect("write the eapol_test config");
    let mut command = command(server, &conf);
    command.args(args);
    let output = tokio::task::spawn_blocking(move || {
        command
            .output()
            .expect("eapol_test is installed (apt-get install eapoltest)")
    })
    .await
    .expect("eapol_test ran");
    finish(output)
}

/// Runs eapol_test and answers, in order, each one-time-password prompt it
/// raises on its control interface (`CTRL-REQ-OTP`, what an EAP-GTC
/// prompt becomes): `answers` are what the user types. Returns the run and
/// the prompts shown.
pub async fn eapol_test_typing(
    server: &TestServer,
    network: String,
    answers: Vec<String>,
) -> (Run, Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("eapol.conf");
    let ctrl = dir.path().join("ctrl");
    std::fs::write(
        &conf,
        format!("ctrl_interface={}\n{network}", ctrl.display()),
    )
    .expect("write the eapol_test config");
    let mut command = command(server, &conf);
    // -W: wait for the monitor to attach before starting.
    command
        .arg("-W")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .expect("eapol_test is installed (apt-get install eapoltest)");
    let monitor = dir.path().join("monitor");
    let result = tokio::task::spawn_blocking(move || {
        let prompts = answer_prompts(&ctrl, &monitor, answers);
        // Never left waiting: a run that did not end by now is stopped.
        let started = Instant::now();
        while matches!(child.try_wait(), Ok(None)) && started.elapsed() < Duration::from_secs(35) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let output = child.wait_with_output().expect("eapol_test ran");
        (finish(output), prompts)
    })
    .await
    .expect("eapol_test ran");
    drop(dir);
    result
}

/// Attaches to eapol_test's control interface at `ctrl` and answers its
/// OTP requests with `answers`, in order.
fn answer_prompts(ctrl: &Path, monitor: &PathBuf, answers: Vec<String>) -> Vec<String> {
    let started = Instant::now();
    let socket = UnixDatagram::bind(monitor).expect("bind the monitor socket");
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    // The interface appears once eapol_test has read its config.
    let path = ctrl.join("test");
    while socket.connect(&path).is_err() {
        if started.elapsed() > Duration::from_secs(10) {
            return Vec::new();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    socket.send(b"ATTACH").expect("attach");
    let mut prompts = Vec::new();
    let mut answers = answers.into_iter();
    let mut buffer = [0u8; 4096];
    while started.elapsed() < Duration::from_secs(30) {
        let Ok(n) = socket.recv(&mut buffer) else {
            if socket.send(b"PING").is_err() {
                break;
            }
            continue;
        };
        let event = String::from_utf8_lossy(&buffer[..n]).into_owned();
        if event.contains("CTRL-EVENT-TERMINATING") || event.contains("CTRL-EVENT-EAP-SUCCESS") {
            break;
        }
        let Some(request) = event.split("CTRL-REQ-OTP-").nth(1) else {
            continue;
        };
        let Some((id, prompt)) = request.split_once(':') else {
            continue;
        };
        prompts.push(prompt.to_owned());
        let Some(answer) = answers.next() else {
            break;
        };
        let reply = format!("CTRL-RSP-OTP-{id}:{answer}");
        if socket.send(reply.as_bytes()).is_err() {
            break;
        }
    }
    prompts
}
