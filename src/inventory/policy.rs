//! Policy documents as AWS hands them out: sometimes URL-encoded, sometimes plain JSON, sometimes JSON with
//! escaped quotes (REST API resource policies). Decoded once here; the typed policy model of the analysis
//! layer reads [`PolicyDocument::json`].

use serde::{Deserialize, Serialize};

/// A decoded policy document, or what went wrong decoding it (the text is then kept as received).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<serde_json::Value>,
    /// Why the document could not be read as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The text as received, only when it could not be parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

impl PolicyDocument {
    /// Decodes a document in any of the encodings AWS APIs use. Never fails: a document that is not JSON is
    /// kept with the parse problem recorded, so the scan goes on and the gap is visible.
    pub fn parse(text: &str) -> Self {
        let trimmed = text.trim();
        let attempt = |candidate: &str| serde_json::from_str::<serde_json::Value>(candidate);
        let first = attempt(trimmed);
        let decoded = match first {
            Ok(value) => Ok(value),
            Err(first_error) => {
                if trimmed.starts_with('%') || (trimmed.contains('%') && !trimmed.starts_with('{')) {
                    match percent_encoding::percent_decode_str(trimmed).decode_utf8() {
                        Ok(text) => attempt(text.trim()).map_err(|e| format!("URL-decoded document is not JSON: {e}")),
                        Err(e) => Err(format!("document is not valid percent-encoded UTF-8: {e}")),
                    }
                } else if trimmed.contains("\\\"") {
                    // REST API resource policies come back with their quotes escaped.
                    let unescaped = trimmed.replace("\\\"", "\"").replace("\\/", "/").replace("\\\\", "\\");
                    attempt(&unescaped).map_err(|e| format!("escaped document is not JSON: {e}"))
                } else {
                    Err(format!("document is not JSON: {first_error}"))
                }
            }
        };
        match decoded {
            Ok(value) if value.is_object() => Self { json: Some(value), problem: None, raw: None },
            Ok(_) => Self::unreadable(text, "document is JSON but not an object".into()),
            Err(problem) => Self::unreadable(text, problem),
        }
    }

    fn unreadable(text: &str, problem: String) -> Self {
        Self { json: None, problem: Some(problem), raw: Some(text.to_owned()) }
    }

    /// The statements of the document, whether `Statement` is an object or a list.
    pub fn statements(&self) -> Vec<&serde_json::Value> {
        match self.json.as_ref().and_then(|doc| doc.get("Statement")) {
            Some(serde_json::Value::Array(list)) => list.iter().collect(),
            Some(single @ serde_json::Value::Object(_)) => vec![single],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

    #[test]
    fn plain_json() {
        let doc = PolicyDocument::parse(PLAIN);
        assert!(doc.problem.is_none());
        assert_eq!(doc.statements().len(), 1);
        assert_eq!(doc.statements()[0]["Principal"]["Service"], "lambda.amazonaws.com");
    }

    #[test]
    fn url_encoded_as_iam_returns_it() {
        let encoded: String =
            percent_encoding::utf8_percent_encode(PLAIN, percent_encoding::NON_ALPHANUMERIC).to_string();
        let doc = PolicyDocument::parse(&encoded);
        assert_eq!(doc.json, PolicyDocument::parse(PLAIN).json);
    }

    #[test]
    fn escaped_quotes_as_api_gateway_returns_them() {
        let escaped = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"execute-api:Invoke\",\"Resource\":\"arn:aws:execute-api:us-east-1:123456789012:abc\\/*\"}]}"#;
        let doc = PolicyDocument::parse(escaped);
        assert!(doc.problem.is_none(), "{:?}", doc.problem);
        assert_eq!(doc.statements()[0]["Resource"], "arn:aws:execute-api:us-east-1:123456789012:abc/*");
    }

    #[test]
    fn single_statement_object() {
        let doc = PolicyDocument::parse(r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#);
        assert_eq!(doc.statements().len(), 1);
    }

    #[test]
    fn truncated_document_is_kept_with_its_problem() {
        let doc = PolicyDocument::parse(&PLAIN[..40]);
        assert!(doc.json.is_none());
        assert!(doc.problem.as_deref().unwrap_or_default().contains("not JSON"), "{:?}", doc.problem);
        assert_eq!(doc.raw.as_deref(), Some(&PLAIN[..40]));
        assert!(doc.statements().is_empty());
    }

    #[test]
    fn bad_percent_encoding_is_a_problem_not_a_panic() {
        let doc = PolicyDocument::parse("%7B%22a%22%3A%FF%FE");
        assert!(doc.problem.is_some());
        let doc = PolicyDocument::parse("[1,2]");
        assert_eq!(doc.problem.as_deref(), Some("document is JSON but not an object"));
    }
}
