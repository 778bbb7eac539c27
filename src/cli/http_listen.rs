//! The `--http-listen` option of `serve` and `demo`: an address, or `off`.

use std::net::SocketAddr;

/// Where the HTTP listener (JSON API, OpenAPI, console) listens, if at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpListen {
    /// No HTTP listener: gRPC only.
    Off,
    /// Listen on this address.
    On(SocketAddr),
}

impl std::str::FromStr for HttpListen {
    type Err = String;

    /// `off` (or `none`, `disabled`) turns the listener off; anything else is an address.
    fn from_str(text: &str) -> Result<HttpListen, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "off" | "none" | "disabled" => Ok(HttpListen::Off),
            _ => text.trim().parse().map(HttpListen::On).map_err(|_| {
                format!("{text:?} is neither an address such as 127.0.0.1:8080 nor `off`")
            }),
        }
    }
}

impl HttpListen {
    /// Binds the listener, when there is one.
    pub async fn bind(self) -> anyhow::Result<Option<tokio::net::TcpListener>> {
        use anyhow::Context;
        match self {
            HttpListen::Off => Ok(None),
            HttpListen::On(address) => tokio::net::TcpListener::bind(address)
                .await
                .map(Some)
                .with_context(|| format!("listening for HTTP on {address}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_turns_the_listener_off_and_addresses_parse() {
        assert_eq!("off".parse::<HttpListen>(), Ok(HttpListen::Off));
        assert_eq!("OFF".parse::<HttpListen>(), Ok(HttpListen::Off));
        assert_eq!(
            "127.0.0.1:8080".parse::<HttpListen>(),
            Ok(HttpListen::On("127.0.0.1:8080".parse().expect("address")))
        );
        assert!("localhost".parse::<HttpListen>().is_err());
    }
}
