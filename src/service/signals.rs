//! The signals a service manager sends: SIGTERM (and Ctrl-C, SIGINT) to
//! stop, a second one to stop at once, and SIGHUP to re-read the config
//! file (systemd's `ExecReload=/bin/kill -HUP $MAINPID`).

/// What the operator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Stop,
    Reload,
}

/// The signal streams, registered once at start so none is missed, not even
/// one that arrives while the previous one is being acted on.
pub struct Signals {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    hangup: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    pub fn register() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let terminate = signal(SignalKind::terminate()).ok();
            let interrupt = signal(SignalKind::interrupt()).ok();
            let hangup = signal(SignalKind::hangup()).ok();
            if terminate.is_none() || hangup.is_none() {
                tracing::warn!("cannot listen for SIGTERM or SIGHUP; only Ctrl-C stops the server");
            }
            Signals {
                terminate,
                interrupt,
                hangup,
            }
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
            let terminate = next_of(self.terminate.as_mut());
            let hangup = next_of(self.hangup.as_mut());
            let interrupt = async {
                match self.interrupt.as_mut() {
                    Some(stream) => {
                        stream.recv().await;
                    }
                    None => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            };
            tokio::select! {
                () = terminate => Request::Stop,
                () = interrupt => Request::Stop,
                () = hangup => Request::Reload,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Request::Stop
        }
    }
}

/// The next signal of a stream; never, when the stream could not be had.
#[cfg(unix)]
async fn next_of(stream: Option<&mut tokio::signal::unix::Signal>) {
    match stream {
        Some(stream) => {
            stream.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}
