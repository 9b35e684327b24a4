//! Glob matching for IAM action patterns, principal patterns and mute resources: `*` matches any run of
//! characters, `?` any one. A leaf: the policy engine and the mutes both use it.

/// `*` matches any run of characters, `?` any one; callers lower-case both sides where case does not matter.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if let Some((star, matched)) = backtrack {
            pi = star + 1;
            ti = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globbing() {
        assert!(glob_match("get*", "getobject"));
        assert!(glob_match("*object", "getobject"));
        assert!(glob_match("g*t*t", "getobjectt"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("get?", "get"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
    }
}
