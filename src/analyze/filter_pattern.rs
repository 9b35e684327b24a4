//! CloudWatch Logs JSON filter patterns (`{ ($.eventName = CreateTrail) || … }`), parsed into a normal form
//! so that two patterns written differently (clause order, spacing, quoting, redundant parentheses) compare
//! equal, and a pattern that matches more events than another is known to cover it.

use std::fmt;

/// A parsed pattern in normal form: `&&` and `||` flattened, their operands sorted and de-duplicated, values
/// unquoted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pattern {
    Or(Vec<Pattern>),
    And(Vec<Pattern>),
    /// `$.field OP value`, or a unary test (`NOT EXISTS`, `IS NULL`, …) with an empty value.
    Test {
        field: String,
        op: String,
        value: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a JSON filter pattern: {0}")]
pub struct PatternError(String);

impl Pattern {
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        let tokens = tokenize(text)?;
        let mut parser = Parser { tokens, at: 0 };
        parser.expect(&Token::Open)?;
        let pattern = parser.or()?;
        parser.expect(&Token::Close)?;
        if parser.at != parser.tokens.len() {
            return Err(PatternError("text after the closing brace".into()));
        }
        Ok(pattern)
    }

    /// Whether every event `other` matches, this matches too (a sound approximation: `true` is always right,
    /// `false` may miss a cover that needs distributing `&&` over `||`).
    pub fn covers(&self, other: &Pattern) -> bool {
        if self == other {
            return true;
        }
        if let Pattern::Or(alternatives) = other {
            return alternatives.iter().all(|alternative| self.covers(alternative));
        }
        match self {
            Pattern::Or(mine) if mine.iter().any(|m| m.covers(other)) => return true,
            Pattern::And(mine) if mine.iter().all(|m| m.covers(other)) => return true,
            _ => {}
        }
        match other {
            Pattern::And(conditions) => conditions.iter().any(|condition| self.covers(condition)),
            _ => false,
        }
    }

    fn join(and: bool, parts: Vec<Pattern>) -> Pattern {
        let mut flat = Vec::new();
        for part in parts {
            match (and, part) {
                (true, Pattern::And(inner)) | (false, Pattern::Or(inner)) => flat.extend(inner),
                (_, other) => flat.push(other),
            }
        }
        flat.sort();
        flat.dedup();
        match (flat.len(), and) {
            (1, _) => flat.pop().expect("one"),
            (_, true) => Pattern::And(flat),
            (_, false) => Pattern::Or(flat),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let group = |f: &mut fmt::Formatter<'_>, parts: &[Pattern], op: &str| {
            write!(f, "(")?;
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    write!(f, " {op} ")?;
                }
                write!(f, "{part}")?;
            }
            write!(f, ")")
        };
        match self {
            Pattern::Or(parts) => group(f, parts, "||"),
            Pattern::And(parts) => group(f, parts, "&&"),
            Pattern::Test { field, op, value } if value.is_empty() => write!(f, "{field} {op}"),
            Pattern::Test { field, op, value } => write!(f, "{field} {op} \"{value}\""),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    LParen,
    RParen,
    And,
    Or,
    Selector(String),
    Op(String),
    /// `NOT EXISTS`, `IS NULL`, `IS TRUE`, `IS FALSE`.
    Unary(String),
    Value(String),
}

fn tokenize(text: &str) -> Result<Vec<Token>, PatternError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            _ if c.is_whitespace() => i += 1,
            '{' => (tokens.push(Token::Open), i += 1).1,
            '}' => (tokens.push(Token::Close), i += 1).1,
            '(' => (tokens.push(Token::LParen), i += 1).1,
            ')' => (tokens.push(Token::RParen), i += 1).1,
            '&' if next == Some('&') => (tokens.push(Token::And), i += 2).1,
            '|' if next == Some('|') => (tokens.push(Token::Or), i += 2).1,
            '!' | '<' | '>' | '=' => {
                let op = if next == Some('=') && c != '=' { format!("{c}=") } else { c.to_string() };
                i += op.len();
                tokens.push(Token::Op(op));
            }
            '"' => {
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(PatternError("a quoted value is not closed".into())),
                        Some('"') => break,
                        Some('\\') => {
                            value.extend(chars.get(i + 1));
                            i += 2;
                        }
                        Some(&other) => {
                            value.push(other);
                            i += 1;
                        }
                    }
                }
                i += 1;
                tokens.push(Token::Value(value));
            }
            _ => {
                let word = bare_word(&chars, &mut i)?;
                let upper = word.to_ascii_uppercase();
                // `NOT EXISTS` / `IS NULL` follow a selector; elsewhere `NOT` or `IS` is a plain value.
                if (upper == "NOT" || upper == "IS") && matches!(tokens.last(), Some(Token::Selector(_))) {
                    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
                        i += 1;
                    }
                    let second = bare_word(&chars, &mut i)?.to_ascii_uppercase();
                    tokens.push(Token::Unary(format!("{upper} {second}")));
                } else if word.starts_with('$') {
                    tokens.push(Token::Selector(word));
                } else {
                    tokens.push(Token::Value(word));
                }
            }
        }
    }
    Ok(tokens)
}

/// An unquoted word from `chars[*i..]`: a value, a keyword, or a selector (`$.a.b`, which also ends at a
/// comparison operator written without a space before it).
fn bare_word(chars: &[char], i: &mut usize) -> Result<String, PatternError> {
    let start = *i;
    let selector = chars.get(start) == Some(&'$');
    while let Some(&c) = chars.get(*i) {
        let ends = c.is_whitespace()
            || matches!(c, '(' | ')' | '{' | '}' | '&' | '|' | '"')
            || (selector && matches!(c, '=' | '!' | '<' | '>'));
        if ends {
            break;
        }
        *i += 1;
    }
    if *i == start {
        return Err(PatternError(format!("unexpected `{}`", chars.get(start).copied().unwrap_or(' '))));
    }
    Ok(chars[start..*i].iter().collect())
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn expect(&mut self, token: &Token) -> Result<(), PatternError> {
        if self.peek() == Some(token) {
            self.at += 1;
            Ok(())
        } else {
            Err(PatternError(format!("expected {token:?}, found {:?}", self.peek())))
        }
    }

    fn or(&mut self) -> Result<Pattern, PatternError> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(Pattern::join(false, parts))
    }

    fn and(&mut self) -> Result<Pattern, PatternError> {
        let mut parts = vec![self.unary()?];
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            parts.push(self.unary()?);
        }
        Ok(Pattern::join(true, parts))
    }

    fn unary(&mut self) -> Result<Pattern, PatternError> {
        match self.tokens.get(self.at).cloned() {
            Some(Token::LParen) => {
                self.at += 1;
                let inner = self.or()?;
                self.expect(&Token::RParen)?;
                Ok(inner)
            }
            Some(Token::Selector(field)) => {
                self.at += 1;
                match self.tokens.get(self.at).cloned() {
                    Some(Token::Unary(test)) => {
                        self.at += 1;
                        Ok(Pattern::Test { field, op: test, value: String::new() })
                    }
                    Some(Token::Op(op)) => {
                        self.at += 1;
                        match self.tokens.get(self.at).cloned() {
                            Some(Token::Value(value)) => {
                                self.at += 1;
                                Ok(Pattern::Test { field, op, value })
                            }
                            other => Err(PatternError(format!("expected a value after {field} {op}, found {other:?}"))),
                        }
                    }
                    other => Err(PatternError(format!("expected an operator after {field}, found {other:?}"))),
                }
            }
            other => Err(PatternError(format!("expected a condition, found {other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Pattern {
        Pattern::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn order_spacing_quoting_and_parentheses_do_not_matter() {
        let cis =
            parse("{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = StopLogging) }");
        let theirs =
            parse(r#"{($.eventName="StopLogging")||(($.eventName = "CreateTrail") || $.eventName=UpdateTrail)}"#);
        assert_eq!(cis, theirs);
        let root = parse(
            r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#,
        );
        let reordered = parse(
            r#"{$.eventType!="AwsServiceEvent" && ($.userIdentity.invokedBy not exists) && $.userIdentity.type="Root"}"#,
        );
        assert_eq!(root, reordered);
    }

    #[test]
    fn a_broader_pattern_covers_a_narrower_one_and_not_the_reverse() {
        let cis = parse(
            r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }"#,
        );
        let older = parse(r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }"#);
        assert!(older.covers(&cis), "dropping conditions matches more");
        assert!(!cis.covers(&older));
        let more_events =
            parse("{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) }");
        let fewer_events = parse("{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) }");
        assert!(more_events.covers(&fewer_events));
        assert!(!fewer_events.covers(&more_events), "missing an event the control needs");
        let kms = parse(
            "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }",
        );
        let kms_any_source = parse("{ ($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion) }");
        assert!(kms_any_source.covers(&kms));
        assert!(!kms.covers(&kms_any_source));
    }

    #[test]
    fn not_and_is_are_keywords_only_after_a_selector() {
        assert_eq!(parse("{ $.a = IS }"), parse(r#"{ $.a = "IS" }"#));
        assert_eq!(parse("{ $.a NOT EXISTS }").to_string(), "$.a NOT EXISTS");
    }

    #[test]
    fn not_json_patterns_are_errors() {
        for bad in ["ERROR", "{ $.a = }", "{ ($.a = 1 }", "[ip, user]", r#"{ $.a = "open }"#] {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
    }
}
