//! The parts of the conversation's settings a config reload replaces
//! together: the user-name rules, and the policies with the dictionary they
//! were compiled against (a policy's attributes only mean something in the
//! dictionary that resolved them).

use super::policy::CompiledPolicy;
use crate::config::{Config, ConfigErrors, ConfigProblem, UserNameRules};
use radius_proto::dictionary::Dictionary;
use std::collections::HashMap;
use std::sync::Arc;

/// User-name rules and policies, replaced as one by a reload.
pub(crate) struct Rules {
    pub(crate) users: UserNameRules,
    pub(crate) dictionary: Arc<Dictionary>,
    pub(crate) policies: HashMap<String, CompiledPolicy>,
}

/// Compiles every policy, reporting problems by key.
pub(crate) fn compile_policies(
    config: &Config,
    dictionary: &Dictionary,
) -> Result<HashMap<String, CompiledPolicy>, ConfigErrors> {
    let mut compiled = HashMap::new();
    let mut problems = Vec::new();
    for policy in &config.policies {
        match CompiledPolicy::compile(policy, dictionary) {
            Ok(done) => {
                compiled.insert(policy.name.clone(), done);
            }
            Err(errors) => problems.extend(
                errors
                    .into_iter()
                    .map(|(key, message)| ConfigProblem { key, message }),
            ),
        }
    }
    if problems.is_empty() {
        Ok(compiled)
    } else {
        Err(ConfigErrors(problems))
    }
}
