//! Logs never carry credentials. At `RUST_LOG=trace` the AWS SDK logs resolved identities (the access key
//! id) and signing details; the SDK redacts secret keys, tokens and bodies itself, and this writer masks what
//! it leaves: access key ids and request signatures. Every log line goes through it.

use std::borrow::Cow;
use std::io::Write;

/// Access key id prefixes: long-term (AKIA) and temporary (ASIA) keys.
const KEY_PREFIXES: [&[u8]; 2] = [b"AKIA", b"ASIA"];
const KEY_LENGTH: usize = 20;
const MASK: u8 = b'*';

/// `text` with access key ids and `Signature=`/`X-Amz-Signature=` values masked.
pub fn redact_credentials(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < bytes.len() {
        let masked = key_id_at(bytes, i).or_else(|| signature_at(bytes, i));
        if let Some((start, end)) = masked {
            let out = out.get_or_insert_with(|| bytes.to_vec());
            out[start..end].fill(MASK);
            i = end;
        } else {
            i += 1;
        }
    }
    match out {
        // Only ASCII bytes were replaced by ASCII, so the text is still UTF-8.
        Some(out) => Cow::Owned(String::from_utf8(out).unwrap_or_default()),
        None => Cow::Borrowed(text),
    }
}

/// An access key id starting at `i` (not inside a longer word): the range to mask, its prefix kept.
fn key_id_at(bytes: &[u8], i: usize) -> Option<(usize, usize)> {
    let candidate = bytes.get(i..i + KEY_LENGTH)?;
    let boundary_before = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
    let boundary_after = bytes.get(i + KEY_LENGTH).is_none_or(|b| !b.is_ascii_alphanumeric());
    let well_formed = KEY_PREFIXES.iter().any(|p| candidate.starts_with(p))
        && candidate.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    (boundary_before && boundary_after && well_formed).then_some((i + 4, i + KEY_LENGTH))
}

/// A SigV4 signature value after `signature=` (any case) at `i`: the range of its hex digits.
fn signature_at(bytes: &[u8], i: usize) -> Option<(usize, usize)> {
    const KEY: &[u8] = b"signature=";
    let candidate = bytes.get(i..i + KEY.len())?;
    if !candidate.eq_ignore_ascii_case(KEY) {
        return None;
    }
    let start = i + KEY.len();
    let end = start + bytes[start..].iter().take_while(|b| b.is_ascii_hexdigit()).count();
    (end > start).then_some((start, end))
}

/// A `tracing_subscriber` writer: standard error, credentials masked. The formatter hands it one whole
/// event per write, so nothing to mask is split across writes.
#[derive(Debug, Clone, Copy, Default)]
pub struct RedactingStderr;

impl Write for RedactingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(redact_credentials(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RedactingStderr {
    type Writer = RedactingStderr;

    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_and_signatures_are_masked_and_nothing_else() {
        let line = r#"identity=Credentials { access_key_id: "ASIAQWERTYUIOPASDFGH", secret: "** redacted **" } auth=AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261129/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"#;
        let redacted = redact_credentials(line);
        assert!(!redacted.contains("ASIAQWERTYUIOPASDFGH") && !redacted.contains("AKIAIOSFODNN7EXAMPLE"), "{redacted}");
        assert!(!redacted.contains("fe5f80f77d5fa3be"), "{redacted}");
        assert!(redacted.contains("ASIA****************") && redacted.contains("Signature=****"), "{redacted}");
        assert!(redacted.contains("SignedHeaders=host"), "the rest is kept: {redacted}");
        assert_eq!(redacted.len(), line.len());

        for untouched in [
            "AKIAshort",
            "XAKIAIOSFODNN7EXAMPLE",
            "AKIAIOSFODNN7EXAMPLEX",
            "role AROAQWERTYUIOPASDFGH",
            "Signature=",
            "naïve ünïcode",
        ] {
            assert!(matches!(redact_credentials(untouched), Cow::Borrowed(_)), "{untouched}");
        }
    }
}
