//! The real server with its HTTP listener, on ephemeral loopback ports, and a plain HTTP
//! client for it: the JSON API's tests talk to it exactly as curl or a browser would.

use std::path::PathBuf;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use matchledger::api::server::{self, ServerConfig};
use matchledger::ledger::Ledger;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server with gRPC and HTTP listeners.
pub struct HttpServer {
    /// `http://127.0.0.1:PORT` of the HTTP listener (`https` with TLS).
    pub base: String,
    /// `http://127.0.0.1:PORT` of the gRPC listener (`https` with TLS).
    pub grpc: String,
    pub data_dir: PathBuf,
    client: Client<HttpConnector, Full<Bytes>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    _temp: tempfile::TempDir,
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "not JSON ({error}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The `Content-Type`, or "".
    pub fn content_type(&self) -> &str {
        self.headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    /// The body as NDJSON lines.
    pub fn lines(&self) -> Vec<Value> {
        String::from_utf8_lossy(&self.body)
            .lines()
            .map(|line| serde_json::from_str(line).expect("each line is JSON"))
            .collect()
    }
}

impl HttpServer {
    /// A server without authentication on a fresh data directory.
    pub async fn start() -> HttpServer {
        HttpServer::start_with(ServerConfig::default()).await
    }

    /// A server configured as `config` says on a fresh data directory.
    pub async fn start_with(config: ServerConfig) -> HttpServer {
        HttpServer::start_on(tempfile::tempdir().expect("temp dir"), config).await
    }

    /// A server configured as `config` says on the data directory `temp` (read-only when
    /// its log is damaged, as `serve` opens it).
    pub async fn start_on(temp: tempfile::TempDir, config: ServerConfig) -> HttpServer {
        let path = temp.path().to_path_buf();
        let ledger = tokio::task::spawn_blocking(move || Ledger::open_or_read_only(&path))
            .await
            .expect("join")
            .expect("ledger opens");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let http = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let scheme = if config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let grpc = format!("{scheme}://{}", listener.local_addr().expect("address"));
        let base = format!("{scheme}://{}", http.local_addr().expect("address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server::run_with_http(listener, Some(http), ledger, config, async {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        });
        HttpServer {
            base,
            grpc,
            data_dir: temp.path().to_path_buf(),
            client: Client::builder(TokioExecutor::new()).build_http(),
            stop: Some(stop),
            task: Some(task),
            _temp: temp,
        }
    }

    /// The port of the HTTP listener.
    pub fn port(&self) -> u16 {
        self.base
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .expect("a port")
    }

    /// POSTs JSON to `path` (`/matchledger.v1.QueryService/GetPhaseBalances`), with a
    /// bearer token when given.
    pub async fn call(&self, path: &str, token: Option<&str>, json: &Value) -> Answer {
        let body = Bytes::from(json.to_string());
        self.post(path, "application/json", token, body).await
    }

    /// POSTs `body` as `content_type` to `path`.
    pub async fn post(
        &self,
        path: &str,
        content_type: &str,
        token: Option<&str>,
        body: Bytes,
    ) -> Answer {
        let mut request = http::Request::post(format!("{}{path}", self.base))
            .header(http::header::CONTENT_TYPE, content_type);
        if let Some(token) = token {
            request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(request.body(Full::new(body)).expect("request"))
            .await
    }

    /// GETs `path`.
    pub async fn get(&self, path: &str) -> Answer {
        let request = http::Request::get(format!("{}{path}", self.base))
            .body(Full::new(Bytes::new()))
            .expect("request");
        self.send(request).await
    }

    /// Sends a request and reads the whole answer.
    pub async fn send(&self, request: http::Request<Full<Bytes>>) -> Answer {
        let response = self.client.request(request).await.expect("HTTP answer");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("whole body").to_bytes();
        Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        }
    }

    /// Sends a request and returns the answer's head and its body as it streams.
    pub async fn open(
        &self,
        request: http::Request<Full<Bytes>>,
    ) -> http::Response<hyper::body::Incoming> {
        self.client.request(request).await.expect("HTTP answer")
    }

    /// Stops the server like [`HttpServer::stop`] and hands back its data directory.
    pub async fn stop_keeping_data(mut self) -> tempfile::TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task");
        }
        self._temp
    }

    /// Stops the server gracefully and waits until the writer has flushed.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task");
        }
    }
}
