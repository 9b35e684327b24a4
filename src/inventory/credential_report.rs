//! The IAM credential report: a CSV file AWS generates for the whole account.

use chrono::DateTime;

use crate::inventory::{
    Timestamp,
    iam::{CredentialReportKey, CredentialReportRow},
};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ReportError {
    #[error("credential report: not UTF-8 text")]
    NotText,
    #[error("credential report: missing column `{0}`")]
    MissingColumn(&'static str),
    #[error("credential report line {line}: {message}")]
    Csv { line: u64, message: String },
}

/// Values AWS writes where there is nothing to report.
fn blank(value: &str) -> bool {
    matches!(value.trim(), "" | "N/A" | "not_supported" | "no_information")
}

fn boolean(value: &str) -> Option<bool> {
    match value.trim() {
        "true" | "TRUE" | "True" => Some(true),
        "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

fn time(value: &str) -> Option<Timestamp> {
    if blank(value) {
        return None;
    }
    DateTime::parse_from_rfc3339(value.trim()).ok().map(|t| t.to_utc())
}

fn text(value: &str) -> Option<String> {
    (!blank(value)).then(|| value.trim().to_owned())
}

/// Parses the report. Unknown columns are ignored and known ones are found by name, so a report with
/// columns added or reordered still reads; a missing required column or a malformed line is an error.
pub fn parse(content: &[u8]) -> Result<Vec<CredentialReportRow>, ReportError> {
    let text_content = std::str::from_utf8(content).map_err(|_| ReportError::NotText)?;
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text_content.as_bytes());
    let headers = reader.headers().map_err(|e| ReportError::Csv { line: 1, message: e.to_string() })?.clone();
    let column =
        |name: &'static str| headers.iter().position(|h| h.trim() == name).ok_or(ReportError::MissingColumn(name));
    let optional = |name: &str| headers.iter().position(|h| h.trim() == name);
    let user = column("user")?;
    let arn = column("arn")?;
    let created = optional("user_creation_time");
    let password_enabled = optional("password_enabled");
    let password_last_used = optional("password_last_used");
    let password_last_changed = optional("password_last_changed");
    let mfa_active = optional("mfa_active");
    let cert = [optional("cert_1_active"), optional("cert_2_active")];
    let key_columns = |n: u8| {
        [
            optional(&format!("access_key_{n}_active")),
            optional(&format!("access_key_{n}_last_rotated")),
            optional(&format!("access_key_{n}_last_used_date")),
            optional(&format!("access_key_{n}_last_used_region")),
            optional(&format!("access_key_{n}_last_used_service")),
        ]
    };
    let keys = [key_columns(1), key_columns(2)];

    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ReportError::Csv {
            line: e.position().map(|p| p.line()).unwrap_or_default(),
            message: e.to_string(),
        })?;
        let field = |index: Option<usize>| index.and_then(|i| record.get(i)).unwrap_or("");
        let key = |columns: &[Option<usize>; 5]| CredentialReportKey {
            active: boolean(field(columns[0])),
            last_rotated: time(field(columns[1])),
            last_used_date: time(field(columns[2])),
            last_used_region: text(field(columns[3])),
            last_used_service: text(field(columns[4])),
        };
        rows.push(CredentialReportRow {
            user: field(Some(user)).to_owned(),
            arn: field(Some(arn)).to_owned(),
            user_creation_time: time(field(created)),
            password_enabled: boolean(field(password_enabled)),
            password_last_used: time(field(password_last_used)),
            password_last_changed: time(field(password_last_changed)),
            mfa_active: boolean(field(mfa_active)),
            access_keys: [key(&keys[0]), key(&keys[1])],
            cert_1_active: boolean(field(cert[0])),
            cert_2_active: boolean(field(cert[1])),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

    #[test]
    fn parses_real_shaped_report() {
        let report = format!(
            "{HEADER}\n<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,2026-11-01T10:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n\
             bob,arn:aws:iam::123456789012:user/bob,2025-05-13T11:53:35+00:00,true,no_information,2025-05-13T11:53:35+00:00,N/A,false,true,2025-05-13T11:53:35+00:00,2026-11-20T08:00:00+00:00,us-east-1,lambda,true,2026-11-24T11:53:35+00:00,N/A,N/A,N/A,false,N/A,false,N/A\n"
        );
        let rows = parse(report.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].user, "<root_account>");
        assert_eq!(rows[0].password_enabled, None);
        assert_eq!(rows[0].mfa_active, Some(true));
        let bob = &rows[1];
        assert_eq!(bob.password_enabled, Some(true));
        assert_eq!(bob.password_last_used, None);
        assert_eq!(bob.access_keys[0].active, Some(true));
        assert_eq!(bob.access_keys[0].last_used_service.as_deref(), Some("lambda"));
        assert_eq!(bob.access_keys[1].last_used_date, None);
        assert_eq!(bob.access_keys[1].last_rotated.map(|t| t.to_rfc3339()), Some("2026-11-24T11:53:35+00:00".into()));
    }

    #[test]
    fn reordered_and_extra_columns_still_read() {
        let rows = parse(b"arn,extra,user,mfa_active\narn:aws:iam::1:user/a,x,a,false\n").unwrap();
        assert_eq!(rows[0].user, "a");
        assert_eq!(rows[0].mfa_active, Some(false));
        assert_eq!(rows[0].access_keys[0].active, None);
    }

    #[test]
    fn bad_reports_are_errors_not_panics() {
        assert_eq!(parse(b"name,arn\nx,y\n"), Err(ReportError::MissingColumn("user")));
        assert_eq!(parse(&[0xff, 0xfe]), Err(ReportError::NotText));
        assert!(matches!(parse(b"user,arn\na,b,c\n"), Err(ReportError::Csv { line: 2, .. })));
        assert_eq!(parse(b"").err(), Some(ReportError::MissingColumn("user")));
    }
}
