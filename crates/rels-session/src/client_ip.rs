//! The client's address as Rails' `request.remote_ip` computes it (SPEC
//! 2.2), for the `ip` of a session's `meta`.
//!
//! Rails' `ActionDispatch::RemoteIp` walks `X-Forwarded-For` from the right
//! (the proxy nearest to us) to the left and takes the first address that
//! is not a trusted proxy. We follow it, including where it is surprising;
//! each such place is stated on [`TrustedProxies::client_ip`].
//!
//! See: <https://api.rubyonrails.org/classes/ActionDispatch/RemoteIp.html>

use std::net::IpAddr;

use ipnet::IpNet;

/// The networks whose addresses are proxies, not clients: skipped when
/// looking for the client in `X-Forwarded-For`.
///
/// The default is Rails' default list: loopback, the private ranges and
/// link-local (`127.0.0.0/8`, `::1`, `fc00::/7`, `10.0.0.0/8`,
/// `172.16.0.0/12`, `192.168.0.0/16`, `169.254.0.0/16`, `fe80::/10`). As in
/// Rails, a list given to [`TrustedProxies::new`] replaces the default; add
/// to [`TrustedProxies::rails_default`] to extend it.
///
/// # Examples
///
/// ```
/// use rels_session::TrustedProxies;
///
/// let mut networks = TrustedProxies::rails_default();
/// networks.push("100.64.0.0/10".parse()?); // a carrier-grade NAT in front
/// let proxies = TrustedProxies::new(networks);
/// assert!(proxies.is_trusted("100.64.0.1".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedProxies {
    networks: Vec<IpNet>,
}

/// Rails' `ActionDispatch::RemoteIp::TRUSTED_PROXIES`, as of Rails 8.1.
const RAILS_DEFAULT: [&str; 8] = [
    "127.0.0.0/8",
    "::1/128",
    "fc00::/7",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "fe80::/10",
];

impl Default for TrustedProxies {
    fn default() -> Self {
        Self::new(Self::rails_default())
    }
}

impl TrustedProxies {
    /// Trust exactly `networks`.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::TrustedProxies;
    ///
    /// let proxies = TrustedProxies::new(vec!["203.0.113.0/24".parse()?]);
    /// assert!(!proxies.is_trusted("10.0.0.1".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self { networks }
    }

    /// Trust no address: the rightmost address of `X-Forwarded-For` is the
    /// client.
    ///
    /// # Examples
    ///
    /// ```
    /// let proxies = rels_session::TrustedProxies::none();
    /// assert!(proxies.networks().is_empty());
    /// ```
    #[must_use]
    pub fn none() -> Self {
        Self::new(Vec::new())
    }

    /// Rails' default list of trusted networks.
    ///
    /// # Examples
    ///
    /// ```
    /// let networks = rels_session::TrustedProxies::rails_default();
    /// assert!(networks.iter().any(|n| n.to_string() == "10.0.0.0/8"));
    /// ```
    #[must_use]
    pub fn rails_default() -> Vec<IpNet> {
        RAILS_DEFAULT
            .iter()
            .map(|net| net.parse().expect("the default networks are well formed"))
            .collect()
    }

    /// The trusted networks.
    ///
    /// # Examples
    ///
    /// ```
    /// let proxies = rels_session::TrustedProxies::default();
    /// assert_eq!(proxies.networks().len(), 8);
    /// ```
    #[must_use]
    pub fn networks(&self) -> &[IpNet] {
        &self.networks
    }

    /// Whether `address` is a trusted proxy. An IPv4 address written as
    /// IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 address, as Ruby's
    /// `IPAddr` does.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::TrustedProxies;
    ///
    /// let proxies = TrustedProxies::default();
    /// assert!(proxies.is_trusted("::ffff:192.168.1.1".parse()?));
    /// assert!(!proxies.is_trusted("203.0.113.7".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_trusted(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.networks.iter().any(|net| net.contains(&address))
    }

    /// The client's address: the nearest address in `X-Forwarded-For` that
    /// is not a trusted proxy, else the peer's.
    ///
    /// `forwarded_for` holds the values of every `X-Forwarded-For` header
    /// of the request, in order; they count as one list, as Rack joins
    /// them. `peer` is the address of the connection.
    ///
    /// This is Rails' algorithm, quirks included:
    ///
    /// - The header is believed whoever sent it: Rails does not first check
    ///   that the peer is a trusted proxy. Behind no proxy, a client can
    ///   claim any address.
    /// - The peer is the last candidate: when every forwarded address is
    ///   trusted, an untrusted peer wins. When the peer is trusted too, the
    ///   leftmost forwarded address is returned (the one furthest away).
    ///   With no forwarded address, the peer is returned even if trusted.
    /// - Entries are separated by commas and whitespace. An entry that is
    ///   not an address (`unknown`, a host name, a network such as
    ///   `1.2.3.4/32`, an IPv6 zone such as `fe80::1%eth0`) is skipped. A
    ///   port is dropped, as Rails 8.1 does: `1.2.3.4:5678` and
    ///   `[::1]:80` count as `1.2.3.4` and `::1`. (Rails before 8.1 skips
    ///   such entries instead.)
    /// - The `Client-Ip` header, which Rails also reads, is ignored.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::IpAddr;
    /// use rels_session::TrustedProxies;
    ///
    /// let proxies = TrustedProxies::default();
    /// let peer: IpAddr = "10.0.0.2".parse()?;
    /// let client = proxies.client_ip(&["203.0.113.7, 10.0.0.1"], Some(peer));
    /// assert_eq!(client, Some("203.0.113.7".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn client_ip(&self, forwarded_for: &[&str], peer: Option<IpAddr>) -> Option<IpAddr> {
        let forwarded: Vec<IpAddr> = forwarded_for
            .iter()
            .flat_map(|value| value.split([',', ' ', '\t', '\r', '\n']))
            .filter_map(parse_entry)
            .collect();

        let mut nearest_first = forwarded.iter().rev().copied().chain(peer);
        nearest_first
            .find(|address| !self.is_trusted(*address))
            .or_else(|| forwarded.first().copied())
            .or(peer)
    }
}

/// Reads one `X-Forwarded-For` entry: an address, with or without a port,
/// with or without brackets around an IPv6 address; `None` for anything
/// else, including an empty entry.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let host = if let Some(bracketed) = entry.strip_prefix('[') {
        let (host, rest) = bracketed.split_once(']')?;
        let port_ok = rest.is_empty() || rest.strip_prefix(':').is_some_and(is_port);
        port_ok.then_some(host)?
    } else {
        match entry.split_once(':') {
            // One colon: an IPv4 address or a name with a port. More than
            // one: an IPv6 address without brackets, which has no port.
            Some((host, port)) if !port.contains(':') => is_port(port).then_some(host)?,
            _ => entry,
        }
    };
    host.parse().ok()
}

/// Whether `digits` is a port number.
fn is_port(digits: &str) -> bool {
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address is valid")
    }

    fn client(headers: &[&str], peer: &str) -> Option<String> {
        let peer = (!peer.is_empty()).then(|| ip(peer));
        TrustedProxies::default()
            .client_ip(headers, peer)
            .map(|a| a.to_string())
    }

    #[test]
    fn the_nearest_untrusted_forwarded_address_is_the_client() {
        assert_eq!(
            client(&["1.1.1.1, 11.1.5.89, 127.0.0.1"], "127.0.0.1").as_deref(),
            Some("11.1.5.89")
        );
        assert_eq!(
            client(&["3.4.5.6, 10.0.0.1,192.168.0.1 172.16.0.9"], "10.0.0.9").as_deref(),
            Some("3.4.5.6")
        );
    }

    #[test]
    fn several_headers_count_as_one_list() {
        assert_eq!(
            client(&["3.4.5.6", "8.8.8.8, 10.0.0.1"], "10.0.0.2").as_deref(),
            Some("8.8.8.8")
        );
    }

    #[test]
    fn without_forwarded_addresses_the_peer_is_the_client() {
        assert_eq!(client(&[], "127.0.0.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(
            client(&["unknown"], "203.0.113.9").as_deref(),
            Some("203.0.113.9")
        );
        assert_eq!(client(&[], ""), None);
    }

    #[test]
    fn an_untrusted_peer_beats_trusted_forwarded_addresses() {
        assert_eq!(
            client(&["10.0.0.1"], "203.0.113.9").as_deref(),
            Some("203.0.113.9")
        );
    }

    #[test]
    fn when_everything_is_trusted_the_furthest_address_wins() {
        assert_eq!(
            client(&["10.0.0.1, 192.168.0.1"], "127.0.0.1").as_deref(),
            Some("10.0.0.1")
        );
    }

    #[test]
    fn ports_are_dropped_and_bad_entries_skipped() {
        let headers =
            ["8.8.8.8:443, [2001:db8::1]:80, 1.2.3.4/32, fe80::1%eth0, unknown, 10.0.0.1"];
        assert_eq!(client(&headers, "10.0.0.2").as_deref(), Some("2001:db8::1"));
        assert_eq!(
            client(&["8.8.8.8:443"], "10.0.0.2").as_deref(),
            Some("8.8.8.8")
        );
        assert_eq!(
            client(&["[2001:db8::2]"], "10.0.0.2").as_deref(),
            Some("2001:db8::2")
        );
    }

    #[test]
    fn entries_are_parsed_strictly() {
        let cases = [
            ("1.2.3.4", Some("1.2.3.4")),
            ("1.2.3.4:80", Some("1.2.3.4")),
            ("2001:db8::1", Some("2001:db8::1")),
            ("[::1]:8080", Some("::1")),
            ("[::1]", Some("::1")),
            ("1.2.3.4:", None),
            ("1.2.3.4:http", None),
            ("[::1]x", None),
            ("[::1", None),
            ("", None),
            ("example.com:80", None),
            ("999.1.1.1", None),
        ];
        for (entry, expected) in cases {
            assert_eq!(
                parse_entry(entry).map(|a| a.to_string()).as_deref(),
                expected,
                "{entry}"
            );
        }
    }

    #[test]
    fn the_default_list_is_rails_list() {
        let proxies = TrustedProxies::default();
        let trusted = [
            "127.0.0.1",
            "127.255.0.1",
            "::1",
            "fc00::1",
            "fd12::1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "fe80::1",
            "::ffff:10.0.0.1",
        ];
        for address in trusted {
            assert!(proxies.is_trusted(ip(address)), "{address}");
        }
        let untrusted = ["8.8.8.8", "172.32.0.1", "100.64.0.1", "2001:db8::1", "::2"];
        for address in untrusted {
            assert!(!proxies.is_trusted(ip(address)), "{address}");
        }
    }

    #[test]
    fn with_no_trusted_proxy_the_rightmost_address_is_the_client() {
        let client =
            TrustedProxies::none().client_ip(&["3.4.5.6, 10.0.0.1"], Some(ip("127.0.0.1")));
        assert_eq!(client, Some(ip("10.0.0.1")));
    }
}
