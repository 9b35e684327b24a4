//! What `/` searches in the full list: every finding's title, resource ARN, rule id and attack-path ARNs,
//! lower-cased, in one buffer. One SIMD substring scan over the buffer finds the matches of 100,000
//! findings in about a millisecond; a string per finding, each searched on its own, took twenty.

use crate::finding::Finding;

/// Separates findings in the buffer: a search text never contains it, so no match spans two findings.
const SEPARATOR: char = '\0';

#[derive(Debug, Default)]
pub struct SearchIndex {
    text: String,
    /// Where each finding's text starts in `text`.
    starts: Vec<usize>,
}

/// What `/` searches of one finding, lower-cased.
pub fn haystack(finding: &Finding) -> String {
    let path = finding.path.join("\n");
    format!("{}\n{}\n{}\n{path}", finding.title, finding.resource_arn, finding.rule_id).to_lowercase()
}

impl SearchIndex {
    /// How many findings are indexed.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Indexes `findings` after those already indexed (findings are only appended, or replaced whole).
    pub fn extend<'a>(&mut self, findings: impl IntoIterator<Item = &'a Finding>) {
        for finding in findings {
            self.starts.push(self.text.len());
            self.text.extend(haystack(finding).chars().map(|c| if c == SEPARATOR { ' ' } else { c }));
            self.text.push(SEPARATOR);
        }
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.starts.clear();
    }

    /// Which findings contain `query` (lower-case), by index.
    pub fn matches(&self, query: &str) -> Vec<bool> {
        let mut found = vec![query.is_empty(); self.starts.len()];
        if query.is_empty() || query.contains(SEPARATOR) {
            return found;
        }
        let finder = memchr::memmem::Finder::new(query.as_bytes());
        let bytes = self.text.as_bytes();
        let (mut from, mut index) = (0, 0);
        while let Some(at) = finder.find(&bytes[from..]) {
            // The finding the match is in (matches only move forward, so the walk is short); the scan goes on
            // from the next one.
            let position = from + at;
            while self.starts.get(index + 1).is_some_and(|&next| next <= position) {
                index += 1;
            }
            found[index] = true;
            match self.starts.get(index + 1) {
                Some(&next) => from = next,
                None => break,
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_findings_that_contain_the_query_and_no_match_spans_two() {
        let fixture = crate::rules::fixture::Fixture::new()
            .role("r", crate::rules::fixture::lambda_trust(), &[], &[])
            .function("alpha", "r", |f| f.tracing_mode = None)
            .function("beta", "r", |f| f.tracing_mode = None);
        let findings = crate::assess::analyze(&fixture.inventory, crate::rules::fixture::now()).findings;
        let mut index = SearchIndex::default();
        index.extend(&findings);
        for query in ["alpha", "beta", "function:", "not traced", "zzz", "a\0b", ""] {
            let expected: Vec<bool> = findings.iter().map(|f| haystack(f).contains(query)).collect();
            assert_eq!(index.matches(query), expected, "{query:?}");
        }
        // A match across the end of one finding's text and the start of the next is none.
        let last_of_first = haystack(&findings[0]).chars().last().unwrap();
        let first_of_second = haystack(&findings[1]).chars().next().unwrap();
        let across = format!("{last_of_first}{first_of_second}");
        let expected: Vec<bool> = findings.iter().map(|f| haystack(f).contains(&across)).collect();
        assert_eq!(index.matches(&across), expected);
    }
}
