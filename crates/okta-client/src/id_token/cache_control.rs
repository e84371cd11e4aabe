//! How long a fetched key set is fresh: the `max-age` of its
//! `Cache-Control` (relative to when it was fetched), held between a floor,
//! so a server asking for no caching cannot make every login fetch keys,
//! and a ceiling, so a key Okta removed is not trusted for long. Without a
//! usable header the floor-side default applies.

use std::time::Duration;

/// The shortest time a key set is kept.
pub(crate) const MIN_FRESH: Duration = Duration::from_secs(60);
/// The longest time a key set is kept without asking again (Okta advises
/// refreshing about daily).
pub(crate) const MAX_FRESH: Duration = Duration::from_secs(24 * 3600);
/// How long a key set without a usable `max-age` is kept.
pub(crate) const DEFAULT_FRESH: Duration = Duration::from_secs(300);

/// The freshness lifetime of a key set fetched with this `Cache-Control`.
pub(crate) fn fresh_for(cache_control: Option<&str>) -> Duration {
    let Some(header) = cache_control else {
        return DEFAULT_FRESH;
    };
    let mut max_age = None;
    for directive in header.split(',') {
        let directive = directive.trim();
        let (name, value) = directive.split_once('=').unwrap_or((directive, ""));
        match name.trim().to_ascii_lowercase().as_str() {
            "no-store" | "no-cache" => return MIN_FRESH,
            "max-age" => max_age = value.trim().trim_matches('"').parse::<u64>().ok(),
            _ => {}
        }
    }
    match max_age {
        Some(seconds) => Duration::from_secs(seconds).clamp(MIN_FRESH, MAX_FRESH),
        None => DEFAULT_FRESH,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_bounded() {
        assert_eq!(
            fresh_for(Some("max-age=3832, must-revalidate")),
            Duration::from_secs(3832)
        );
        assert_eq!(fresh_for(Some("public, max-age=5")), MIN_FRESH);
        assert_eq!(fresh_for(Some("max-age=99999999")), MAX_FRESH);
        assert_eq!(fresh_for(Some("no-cache")), MIN_FRESH);
        assert_eq!(fresh_for(Some("max-age=soon")), DEFAULT_FRESH);
        assert_eq!(fresh_for(None), DEFAULT_FRESH);
    }
}
