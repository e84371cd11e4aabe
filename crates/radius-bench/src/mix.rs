//! `--mix`: the kinds of work the generator starts (Status-Server probes,
//! logins of each flow, accounting Starts) and their weights, as
//! `password:8,push:1,totp:1`.

use super::users::Flow;

/// A kind of work in the mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WorkKind {
    Status,
    Login(Flow),
    /// Accounting Starts, each of a session of its own.
    Accounting,
}

/// Parses `--mix`.
pub(crate) fn parse(text: &str) -> Result<Vec<(WorkKind, u32)>, String> {
    let mut mix = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, weight) = match part.split_once(':') {
            Some((name, weight)) => {
                let weight = weight
                    .trim()
                    .parse::<u32>()
                    .map_err(|_| format!("`{part}`: the weight is not a whole number"))?;
                (name.trim(), weight)
            }
            None => (part, 1),
        };
        let kind = match name {
            "status" => WorkKind::Status,
            "password" => WorkKind::Login(Flow::Password),
            "push" => WorkKind::Login(Flow::Push),
            "totp" => WorkKind::Login(Flow::Totp),
            "accounting" => WorkKind::Accounting,
            other => {
                return Err(format!(
                    "unknown kind of work `{other}` (status, password, push, totp, accounting)"
                ));
            }
        };
        mix.push((kind, weight.min(1000)));
    }
    if mix.iter().all(|(_, weight)| *weight == 0) {
        return Err("the mix is empty".to_owned());
    }
    Ok(mix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_parses_with_and_without_weights() {
        assert_eq!(
            parse("password:8, push:1,totp"),
            Ok(vec![
                (WorkKind::Login(Flow::Password), 8),
                (WorkKind::Login(Flow::Push), 1),
                (WorkKind::Login(Flow::Totp), 1),
            ])
        );
        assert_eq!(parse("accounting"), Ok(vec![(WorkKind::Accounting, 1)]));
        assert!(parse("chap").is_err());
        assert!(parse("status:0").is_err());
    }
}
