//! Sealing a challenge into the State of an Access-Challenge, and opening
//! the State of its answer exactly once: it must come from the same client,
//! for the same user, unexpired, and not answered before (a NAS retransmit
//! of an answer is caught earlier, by the server's duplicate cache). In a
//! fleet, "before" means at any replica: the State's id is remembered in
//! Redis until the challenge expires.

use super::context::Request;
use super::decision::Decision;
use super::messages;
use super::reason::Reason;
use super::state::{self, Binding, Challenge, StateError, StateId, Step};
use super::state_keys::StateKeys;
use crate::cluster::Cluster;
use crate::config::Config;
use crate::live::Live;
use dashmap::DashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How many answered States are kept before the expired ones are swept.
const SWEEP_ABOVE: usize = 10_000;

/// The States this server seals and accepts.
pub(super) struct States {
    /// The keys sealing and opening States; a reload may rotate them. The
    /// pushes shared with a fleet seal their records with them too.
    keys: Arc<Live<StateKeys>>,
    /// States already answered, until they expire (single use).
    answered: DashMap<StateId, u64>,
    /// The fleet that shares the answered States, if any.
    cluster: Cluster,
}

impl States {
    pub(super) fn new(keys: Arc<Live<StateKeys>>, cluster: Cluster) -> States {
        States {
            keys,
            answered: DashMap::new(),
            cluster,
        }
    }

    /// Rotates to the configured `[state]` key when it changed; the key in
    /// force until now keeps opening the challenges it sealed for the
    /// longest challenge lifetime. Returns whether the key was rotated.
    pub(super) fn rotate(&self, config: &Config) -> bool {
        let keys = self.keys.get();
        if !keys.differs_from(config.state_key.as_ref()) {
            return false;
        }
        let lifetime = config
            .clients
            .iter()
            .map(|client| client.mfa.challenge_lifetime)
            .max()
            .unwrap_or(Duration::from_secs(300));
        self.keys
            .set(keys.rotated(config.state_key.as_ref(), lifetime.as_secs()));
        true
    }

    /// Seals `step` for this request's client and user; `None` when it
    /// cannot be sealed (it would not fit one attribute).
    pub(super) fn seal(&self, request: &Request<'_>, step: Step) -> Option<Vec<u8>> {
        let lifetime = request.client.mfa.challenge_lifetime;
        let challenge = Challenge {
            expires_at: state::unix_seconds(SystemTime::now()) + lifetime.as_secs(),
            login_id: request.login_id(),
            step,
        };
        match self.keys.get().seal(&challenge, &binding(request)) {
            Ok((bytes, _)) => Some(bytes),
            Err(error) => {
                tracing::error!(user = %request.login, %error, "cannot seal the State of a challenge");
                None
            }
        }
    }

    /// Opens the State of an answer, once: where the login continues, or
    /// the reject for a State that does not open or was answered before
    /// (here or, in a fleet, at another replica).
    pub(super) async fn open_once(
        &self,
        request: &Request<'_>,
        sealed: &[u8],
    ) -> Result<Step, Decision> {
        let opened = self
            .keys
            .get()
            .open(sealed, &binding(request), SystemTime::now());
        let (challenge, id) = match opened {
            Ok(opened) => opened,
            Err(StateError::Expired) => {
                return Err(Decision::reject(
                    Reason::StateExpired,
                    messages::SESSION_EXPIRED,
                ));
            }
            Err(_) => {
                return Err(Decision::reject(
                    Reason::StateInvalid,
                    messages::SESSION_EXPIRED,
                ));
            }
        };
        request.continue_login(challenge.login_id);
        let first = self.first_answer(id, challenge.expires_at)
            && self.first_in_fleet(id, challenge.expires_at).await;
        if !first {
            return Err(Decision::reject(
                Reason::StateReused,
                messages::STATE_REUSED,
            ));
        }
        Ok(challenge.step)
    }

    /// Marks a State as answered in the fleet, until it expires; false when
    /// another replica answered it before. Without a fleet, or when Redis
    /// does not answer in time, true (the local mark stands alone).
    async fn first_in_fleet(&self, id: StateId, expires_at: u64) -> bool {
        let Some(fleet) = self.cluster.fleet() else {
            return true;
        };
        let key = fleet.keys().answered_state(&id);
        let expires_at = expires_at.max(state::unix_seconds(SystemTime::now()) + 1);
        fleet
            .run("state_once", |mut connection| async move {
                // SET NX EXAT: only the first replica sets it.
                let set: Option<String> = redis::cmd("SET")
                    .arg(&key)
                    .arg(1)
                    .arg("NX")
                    .arg("EXAT")
                    .arg(expires_at)
                    .query_async(&mut connection)
                    .await?;
                Ok(set.is_some())
            })
            .await
            .unwrap_or(true)
    }

    /// Marks a State as answered; false when it already was.
    fn first_answer(&self, id: StateId, expires_at: u64) -> bool {
        let now = state::unix_seconds(SystemTime::now());
        if self.answered.len() > SWEEP_ABOVE {
            self.answered.retain(|_, expiry| *expiry > now);
        }
        self.answered.insert(id, expires_at).is_none()
    }
}

/// What a request's States are bound to.
fn binding<'a>(request: &'a Request<'_>) -> Binding<'a> {
    Binding {
        client: &request.client.name,
        user_name: request.user_name,
    }
}
