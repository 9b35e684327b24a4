//! Lambda runtime deprecation dates (assets/lambda-runtimes.tsv, from AWS's published table).

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::NaiveDate;

const ASSET: &str = include_str!("../../assets/lambda-runtimes.tsv");

fn table() -> &'static HashMap<String, NaiveDate> {
    static TABLE: OnceLock<HashMap<String, NaiveDate>> = OnceLock::new();
    TABLE.get_or_init(|| {
        ASSET
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let (runtime, date) = l.split_once('\t')?;
                Some((runtime.trim().to_owned(), NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?))
            })
            .collect()
    })
}

/// The date AWS deprecates (or deprecated) `runtime`; `None` for a runtime the table does not know.
pub fn deprecation_date(runtime: &str) -> Option<NaiveDate> {
    table().get(runtime).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(deprecation_date("python3.8"), NaiveDate::from_ymd_opt(2024, 10, 14));
        assert_eq!(deprecation_date("nodejs16.x"), NaiveDate::from_ymd_opt(2024, 6, 12));
        assert!(deprecation_date("python3.12").is_some());
        assert_eq!(deprecation_date("cobol1.0"), None);
        assert!(table().len() > 40, "every line of the asset parsed");
    }
}
