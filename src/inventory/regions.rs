/// The standard commercial (`aws` partition) regions `--all-regions` covers. Opt-in regions an account has
/// not enabled are detected at scan time and recorded as skipped.
pub const STANDARD_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
];

/// Checks that `name` reads as an AWS region (`eu-west-1`, `us-gov-west-1`, `cn-north-1`): letters in
/// groups joined by `-`, ending with a number. A typo is refused before any call; a well-formed region
/// newer than [`STANDARD_REGIONS`] is scanned as named.
pub fn check_region_name(name: &str) -> Result<String, String> {
    let parts: Vec<&str> = name.split('-').collect();
    let letters = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    let well_formed = parts.len() >= 3
        && parts[..parts.len() - 1].iter().all(letters)
        && parts.last().is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if well_formed {
        Ok(name.to_owned())
    } else {
        Err("not an AWS region name (such as us-east-1 or eu-west-1)".into())
    }
}
