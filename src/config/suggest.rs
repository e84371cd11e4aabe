//! "Did you mean ...?" for a misspelt key: the known key closest to what
//! was written, when it is close enough to be the likely intent.

/// The candidate nearest to `written` by edit distance, if it is within a
/// third of the word's length (at least two edits).
pub(super) fn closest<'a>(written: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (written.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|candidate| (edit_distance(written, candidate), *candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters, with one row of memory.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            let cost = usize::from(ca != *cb);
            row[j + 1] = (diagonal + cost).min(above + 1).min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_its_key_and_a_stranger_finds_none() {
        let keys = ["request_timeout_ms", "connect_timeout_ms", "org_url"];
        assert_eq!(
            closest("request_timout_ms", &keys),
            Some("request_timeout_ms")
        );
        assert_eq!(closest("org_ulr", &keys), Some("org_url"));
        assert_eq!(closest("banana", &keys), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
