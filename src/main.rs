//! The `okta-radius` command line: parsing arguments and dispatching to the
//! library. Nothing else lives here, except the man pages generated from
//! this definition (`manual.rs`).

mod admin_command;
mod manual;

use clap::{CommandFactory, Parser, Subcommand};
use okta_radius::config::{Config, ConfigCheck, ConfigReport, LogConfig, LogFormat, Severity};
use okta_radius::{demo, service, telemetry};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Every allocation of the server goes through mimalloc, unless built
/// without the `mimalloc` feature (to count allocations under valgrind).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "okta-radius",
    version,
    about = "A RADIUS server that authenticates users against Okta"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server with a config file.
    Serve {
        #[arg(long, short, value_name = "FILE", env = "OKTA_RADIUS_CONFIG")]
        config: PathBuf,
        /// Debug mode, to watch logins as they happen: human-readable
        /// lines on standard error at debug level, whatever the config's
        /// [log] says. Each request shows its attributes (passwords
        /// hidden), the client, every Okta call with its status and Okta
        /// request id, the user's groups and the policy's rules, and the
        /// reply's attributes.
        #[arg(long = "debug", short = 'X')]
        debug: bool,
    },
    /// Check a config file and report every problem by key (exit 2 on
    /// error); with --online also reach the org and check the credentials
    /// (exit 3 when that fails).
    CheckConfig {
        #[arg(long, short, value_name = "FILE", env = "OKTA_RADIUS_CONFIG")]
        config: PathBuf,
        /// Reach the org: verify the API token (its admin, predicted expiry),
        /// the OAuth service app, and the permissions the features need.
        #[arg(long)]
        online: bool,
    },
    /// Act on a running server from its host (through its metrics listener).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Manage the OAuth service app's signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Run the server against a simulated Okta org with demo users.
    Demo {
        /// RADIUS listen address.
        #[arg(long, default_value = "127.0.0.1:1812")]
        listen: SocketAddr,
        /// Metrics listen address.
        #[arg(long, default_value = "127.0.0.1:9812")]
        metrics: SocketAddr,
        /// Where the simulated Okta org listens (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:0")]
        okta_listen: SocketAddr,
        /// The Okta API logins go through: authn, or direct (Identity
        /// Engine's Direct Authentication).
        #[arg(long, default_value = "authn", value_parser = ["authn", "direct"])]
        api: String,
    },
    /// Log in to a RADIUS server as a user at a NAS would: PAP with
    /// Message-Authenticator, every Access-Challenge shown as a prompt and
    /// answered, until Access-Accept or Access-Reject.
    Login(radius_login::LoginArgs),
    /// Print a shell completion script to standard output.
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Write the man pages into a directory (for packaging).
    #[command(hide = true)]
    Manual {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Load-test a RADIUS server (see BENCHMARKS.md).
    Bench(radius_bench::BenchArgs),
    /// Run the simulated Okta org on its own, for benchmarks.
    Sim(radius_bench::SimArgs),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// A user's failed-password throttle and push limits: show or clear.
    Throttle(admin_command::ThrottleArgs),
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Write a new ES256 private key (mode 0600) and print its public JWK
    /// to add to the API Services app in Okta.
    Generate {
        /// The private key file to create (never overwritten).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The key's `kid` (default: its RFC 7638 thumbprint).
        #[arg(long)]
        kid: Option<String>,
    },
}

/// Exit status for an invalid config, as `check-config` documents.
const EXIT_CONFIG: u8 = 2;
/// Exit status of `check-config --online` when the org or a credential check fails.
const EXIT_ONLINE: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::CheckConfig { config, online } => check_config(&config, online),
        Command::Keys {
            command: KeysCommand::Generate { out, kid },
        } => generate_key(&out, kid.as_deref()),
        Command::Serve {
            config: path,
            debug,
        } => {
            let config = match load(&path) {
                Ok(config) => config,
                Err(code) => return code,
            };
            if debug {
                telemetry::logging::init(&LogConfig {
                    format: LogFormat::Human,
                    level: telemetry::logging::DEBUG_MODE_FILTER.to_owned(),
                });
                tracing::info!(
                    "debug mode: every request is shown as it is decided; do not leave it on in production"
                );
            } else {
                telemetry::logging::init(&config.log);
            }
            run_async(service::serve(config, path))
        }
        Command::Demo {
            listen,
            metrics,
            okta_listen,
            api,
        } => {
            telemetry::logging::init(&LogConfig {
                format: LogFormat::Human,
                level: "info".to_owned(),
            });
            run_async(demo::run(demo::DemoOptions {
                listen,
                metrics: Some(metrics),
                okta_listen,
                api: if api == "direct" {
                    okta_radius::config::OktaApi::Direct
                } else {
                    okta_radius::config::OktaApi::Authn
                },
            }))
        }
        Command::Login(args) => login(args),
        Command::Admin {
            command: AdminCommand::Throttle(args),
        } => admin_command::run(args),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "okta-radius",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
        Command::Manual { out } => match manual::write_pages(Cli::command(), &out) {
            Ok(pages) => {
                for page in pages {
                    println!("{}", page.display());
                }
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!(
                    "okta-radius: cannot write the man pages to {}: {error}",
                    out.display()
                );
                ExitCode::FAILURE
            }
        },
        Command::Bench(args) => run_async(radius_bench::run(args)),
        Command::Sim(args) => run_async(radius_bench::sim::run(args)),
    }
}

/// `okta-radius login`, with the dictionaries the server would read.
fn login(args: radius_login::LoginArgs) -> ExitCode {
    let source = service::dictionaries::source();
    match service::dictionaries::load(&source) {
        Ok(dictionary) => radius_login::run(args, dictionary),
        Err(error) => {
            eprintln!("okta-radius login: the dictionaries ({source}) do not load: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Checks a config file and what it names (dictionaries, certificates,
/// keys): the config when all of it is usable, and every finding.
fn check_all(path: &std::path::Path) -> (Option<Config>, ConfigReport) {
    let ConfigCheck { config, mut report } = Config::check_file(path);
    let Some(mut config) = config else {
        return (None, report);
    };
    match service::check(&config) {
        // What the files named by the config hold (certificates near
        // expiry) is warned about with the config's own warnings.
        Ok(checked) => {
            report.add_warnings(&checked.tls.warnings);
            config.warnings.extend(checked.tls.warnings);
            (Some(config), report)
        }
        Err(errors) => {
            report.add_problems(&errors);
            (None, report)
        }
    }
}

/// Every finding of an invalid config, on standard error.
fn print_invalid(path: &std::path::Path, report: &ConfigReport) {
    eprint!(
        "{}: the config is invalid ({}):\n{}",
        path.display(),
        report.summary(),
        report.render(
            &path.display().to_string(),
            &[Severity::UnknownKey, Severity::Invalid, Severity::Warning]
        )
    );
}

fn load(path: &std::path::Path) -> Result<Config, ExitCode> {
    match check_all(path) {
        (Some(config), report) if report.is_valid() => Ok(config),
        (_, report) => {
            print_invalid(path, &report);
            Err(ExitCode::from(EXIT_CONFIG))
        }
    }
}

fn generate_key(out: &std::path::Path, kid: Option<&str>) -> ExitCode {
    match okta_client::oauth::generate_key_file(out, kid) {
        Ok(jwk) => {
            match serde_json::to_string_pretty(&jwk) {
                Ok(json) => println!("{json}"),
                Err(error) => {
                    eprintln!("cannot print the public key: {error}");
                    return ExitCode::FAILURE;
                }
            }
            eprintln!(
                "wrote {} (mode 0600); add the public key above to the API Services app (General > Public keys), then list the file under [okta.oauth] keys",
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("okta-radius: {error}");
            ExitCode::FAILURE
        }
    }
}

fn check_online(config: &Config) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let okta_ok = match runtime.block_on(service::check_online(config)) {
        Ok(report) => {
            println!("online check of {}:", config.okta.org_url);
            for finding in &report.findings {
                println!(
                    "  {} {}",
                    if finding.ok { "ok  " } else { "FAIL" },
                    finding.text
                );
            }
            report.ok()
        }
        Err(error) => {
            println!("online check of {}:\n  FAIL {error:#}", config.okta.org_url);
            false
        }
    };
    let redis_ok = match runtime.block_on(service::check_cluster(config)) {
        None => true,
        Some(Ok(answer)) => {
            println!("cluster:\n  ok   {answer}");
            true
        }
        Some(Err(why)) => {
            println!("cluster:\n  FAIL {why}");
            false
        }
    };
    if okta_ok && redis_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_ONLINE)
    }
}

fn check_config(path: &std::path::Path, online: bool) -> ExitCode {
    let (config, report) = check_all(path);
    match config {
        Some(config) if report.is_valid() => {
            print!(
                "{}",
                report.render(&path.display().to_string(), &[Severity::Warning])
            );
            let listeners = config.server.listen.len()
                + config.streams.tls_listen.len()
                + config.streams.tcp_listen.len();
            println!(
                "{}: valid ({} client{}, {} listener{})",
                path.display(),
                config.clients.len(),
                if config.clients.len() == 1 { "" } else { "s" },
                listeners,
                if listeners == 1 { "" } else { "s" },
            );
            println!("dictionaries: {}", service::dictionaries::source());
            if online {
                check_online(&config)
            } else {
                ExitCode::SUCCESS
            }
        }
        _ => {
            print_invalid(path, &report);
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

/// How long an exiting process waits for its log lines to be written (the
/// destination may be stuck).
const LAST_LINES_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

fn run_async(future: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(future);
    if let Err(error) = &outcome {
        tracing::error!("{error:#}");
    }
    // Every line logged is out before the last words and the exit.
    telemetry::log_writer::flush(LAST_LINES_WITHIN);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("okta-radius: {error:#}");
            ExitCode::FAILURE
        }
    }
}
