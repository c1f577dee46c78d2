//! The authority of a Redis URL, `[user:password@]host[:port][,...]`,
//! read and written by hand: credentials, host lists and percent-escapes.
//!
//! Messages say which part is wrong, never what it holds.

use std::net::Ipv6Addr;

use super::Secret;

/// User name and password from `user:password`, percent-decoded; empty
/// parts count as absent.
pub(super) fn credentials(
    userinfo: Option<&str>,
) -> Result<(Option<String>, Option<Secret>), String> {
    let Some(userinfo) = userinfo else {
        return Ok((None, None));
    };
    let (user, password) = match userinfo.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (userinfo, None),
    };
    let user = decode(user).map_err(|why| format!("the user name {why}"))?;
    let password = match password {
        Some(password) => decode(password).map_err(|why| format!("the password {why}"))?,
        None => String::new(),
    };
    let user = Some(user).filter(|user| !user.is_empty());
    let password = Some(password).filter(|p| !p.is_empty()).map(Secret::new);
    Ok((user, password))
}

/// Comma-separated `host[:port]` entries.
pub(super) fn host_list(text: &str, default_port: u16) -> Result<Vec<(String, u16)>, String> {
    if text.is_empty() {
        return Err("has no host".to_owned());
    }
    let entries: Vec<&str> = text.split(',').collect();
    let several = entries.len() > 1;
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            host_port(entry, default_port).map_err(|why| {
                if several {
                    format!("host {} of the list {why}", index + 1)
                } else {
                    format!("the host {why}")
                }
            })
        })
        .collect()
}

/// One `host[:port]`, with an IPv6 address in brackets.
fn host_port(entry: &str, default_port: u16) -> Result<(String, u16), String> {
    if let Some(bracketed) = entry.strip_prefix('[') {
        return ipv6_port(bracketed, default_port);
    }
    let (host, port) = match entry.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (entry, None),
    };
    if port.is_some_and(|port| port.contains(':')) {
        return Err("is not valid: put an IPv6 address in brackets, as in [::1]:6379".to_owned());
    }
    if host.is_empty() {
        return Err("is empty".to_owned());
    }
    let name_like = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if !name_like {
        return Err("is not a valid host name or IP address".to_owned());
    }
    Ok((host.to_owned(), parse_port(port, default_port)?))
}

/// What follows the `[` of an IPv6 host: `addr]` or `addr]:port`.
fn ipv6_port(bracketed: &str, default_port: u16) -> Result<(String, u16), String> {
    let invalid = || "is not a valid IPv6 address in brackets".to_owned();
    let (address, after) = bracketed.split_once(']').ok_or_else(invalid)?;
    let address: Ipv6Addr = address.parse().map_err(|_| invalid())?;
    let port = match after {
        "" => None,
        after => Some(after.strip_prefix(':').ok_or_else(invalid)?),
    };
    Ok((address.to_string(), parse_port(port, default_port)?))
}

fn parse_port(port: Option<&str>, default_port: u16) -> Result<u16, String> {
    let Some(port) = port else {
        return Ok(default_port);
    };
    let digits = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
    match port.parse::<u16>() {
        Ok(port) if digits && port > 0 => Ok(port),
        _ => Err("has an invalid port: expected a number from 1 to 65535".to_owned()),
    }
}

/// Percent-decodes a URL component into UTF-8 text.
pub(super) fn decode(text: &str) -> Result<String, String> {
    let malformed = || "has a malformed percent-escape".to_owned();
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        if byte != b'%' {
            bytes.push(byte);
            continue;
        }
        let (hex, tail) = rest.split_at_checked(2).ok_or_else(malformed)?;
        // `from_str_radix` alone would also take a sign, as in `%+f`.
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return Err(malformed());
        }
        let hex = std::str::from_utf8(hex).map_err(|_| malformed())?;
        bytes.push(u8::from_str_radix(hex, 16).map_err(|_| malformed())?);
        rest = tail;
    }
    String::from_utf8(bytes).map_err(|_| "is not valid UTF-8 once percent-decoded".to_owned())
}

/// Percent-encodes a user name for display.
pub(super) fn encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

pub(super) fn render_host(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

pub(super) fn render_hosts(hosts: &[(String, u16)]) -> String {
    let hosts: Vec<String> = hosts
        .iter()
        .map(|(host, port)| render_host(host, *port))
        .collect();
    hosts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_escapes_are_decoded() {
        assert_eq!(decode("a%40b%3a%25"), Ok("a@b:%".to_owned()));
        assert_eq!(decode("%C3%A9"), Ok("é".to_owned()));
        for bad in ["%", "%4", "%+f", "%zz", "%ff"] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn user_names_are_encoded_for_display() {
        assert_eq!(encode("app-1.x_y~z"), "app-1.x_y~z");
        assert_eq!(encode("a@b:c/é"), "a%40b%3Ac%2F%C3%A9");
    }

    #[test]
    fn hosts_keep_their_order_and_default_port() {
        let hosts = host_list("a,[::1]:7,b:8", 26379).expect("valid");
        let expected = [("a", 26379), ("::1", 7), ("b", 8)];
        let expected: Vec<(String, u16)> = expected
            .iter()
            .map(|(h, p)| ((*h).to_owned(), *p))
            .collect();
        assert_eq!(hosts, expected);
        assert_eq!(render_hosts(&hosts), "a:26379,[::1]:7,b:8");
    }
}
