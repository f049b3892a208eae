//! Where an organisation's widget may be embedded: the origins of its
//! intranet pages, as an admin types them. The same list feeds the widget
//! route's `frame-ancestors` and the widget's postMessage target check.

/// At most this many origins per organisation.
pub const MAX_ORIGINS: usize = 20;
/// Largest logo accepted for a widget: a small header image, not a photo.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum OriginProblem {
    /// Not `http(s)://host[:port]` (no path, query, user or wildcard).
    NotAnOrigin {
        index: u32,
    },
    TooMany,
}

/// `https://Intranet.Corp:8443/` → `https://intranet.corp:8443`; `None` if
/// it is not a plain origin.
pub fn normalise_origin(s: &str) -> Option<String> {
    let s = s.trim().trim_end_matches('/');
    let (scheme, rest) = s.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let rest = rest.to_ascii_lowercase();
    let (host, port) = if rest.starts_with('[') {
        let end = rest.find(']')?;
        let (host, after) = rest.split_at(end + 1);
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest.as_str(), None),
        }
    };
    let host_ok = if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !inner.is_empty() && inner.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    } else {
        !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
            })
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok_and(|n| n > 0));
    (host_ok && port_ok).then(|| match port {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    })
}

/// Parses an admin's list (spaces, commas or new lines between origins).
pub fn parse_origins(text: &str) -> Result<Vec<String>, Vec<OriginProblem>> {
    let mut out: Vec<String> = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in text.split(|c: char| c.is_whitespace() || c == ',').filter(|s| !s.is_empty()).enumerate() {
        match normalise_origin(item) {
            Some(o) if !out.contains(&o) => out.push(o),
            Some(_) => {}
            None => problems.push(OriginProblem::NotAnOrigin { index: i as u32 }),
        }
    }
    if out.len() > MAX_ORIGINS {
        problems.push(OriginProblem::TooMany);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// `frame-ancestors` for the widget: our own pages and the listed origins.
pub fn frame_ancestors(origins: &[String]) -> String {
    let mut v = vec!["'self'".to_string()];
    v.extend(origins.iter().filter_map(|o| normalise_origin(o)));
    format!("frame-ancestors {}", v.join(" "))
}

/// `#0b5cad`-style colours only: the value goes into a style property.
pub fn valid_colour(s: &str) -> bool {
    let s = s.trim();
    s.is_empty() || (s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_or_refused() {
        assert_eq!(normalise_origin("https://Intranet.Corp:8443/").as_deref(), Some("https://intranet.corp:8443"));
        assert_eq!(normalise_origin("http://10.1.2.3").as_deref(), Some("http://10.1.2.3"));
        assert_eq!(normalise_origin("http://[::1]:3100").as_deref(), Some("http://[::1]:3100"));
        for bad in [
            "intranet.corp",
            "ftp://x",
            "https://*.corp",
            "https://a/b",
            "https://a?b",
            "https://u@a",
            "https://a:0",
            "https://a:99999",
            "https://",
            "javascript:alert(1)",
            "https://a b",
            "https://-a.corp",
        ] {
            assert_eq!(normalise_origin(bad), None, "{bad}");
        }
    }

    #[test]
    fn lists_parse_with_every_problem_named() {
        assert_eq!(
            parse_origins("https://a.corp, http://b.corp:8080\n https://a.corp/").unwrap(),
            vec!["https://a.corp", "http://b.corp:8080"]
        );
        assert_eq!(parse_origins("").unwrap(), Vec::<String>::new());
        assert_eq!(
            parse_origins("https://a.corp nope *"),
            Err(vec![OriginProblem::NotAnOrigin { index: 1 }, OriginProblem::NotAnOrigin { index: 2 }])
        );
        let many = (0..21).map(|i| format!("https://h{i}.corp")).collect::<Vec<_>>().join(" ");
        assert_eq!(parse_origins(&many), Err(vec![OriginProblem::TooMany]));
        assert_eq!(frame_ancestors(&["https://a.corp".into()]), "frame-ancestors 'self' https://a.corp");
        assert!(valid_colour("#0B5CAD") && valid_colour("") && !valid_colour("red;x") && !valid_colour("#12345"));
    }
}
