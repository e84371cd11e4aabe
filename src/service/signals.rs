//! The signals a service manager sends: SIGTERM (and Ctrl-C) to stop, SIGHUP
//! to re-read the config file (systemd's `ExecReload=/bin/kill -HUP $MAINPID`).

/// What the operator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Stop,
    Reload,
}

/// The signal streams, registered once at start so none is missed.
pub struct Signals {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    hangup: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    pub fn register() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let terminate = signal(SignalKind::terminate()).ok();
            let hangup = signal(SignalKind::hangup()).ok();
            if terminate.is_none() || hangup.is_none() {
                tracing::warn!("cannot listen for SIGTERM or SIGHUP; only Ctrl-C stops the server");
            }
            Signals { terminate, hangup }
        }
        #[cfg(not(unix))]
        {
            Signals {}
        }
    }

    /// Waits for the next request.
    pub async fn next(&mut self) -> Request {
        #[cfg(unix)]
        {
            let terminate = async {
                match self.terminate.as_mut() {
                    Some(stream) => {
                        stream.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let hangup = async {
                match self.hangup.as_mut() {
                    Some(stream) => {
                        stream.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = terminate => Request::Stop,
                () = hangup => Request::Reload,
                _ = tokio::signal::ctrl_c() => Request::Stop,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Request::Stop
        }
    }
}
