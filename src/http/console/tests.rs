//! The console's assets are all embedded, reachable and served safely; the module graph of
//! its scripts resolves without a browser (a browser test runs it: tests/console.rs).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;

use super::{router, ASSETS};

fn assets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http/console/assets")
}

fn files_under(dir: &Path, prefix: &str, found: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).expect("assets directory") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = format!("{prefix}{name}");
        if entry.file_type().expect("type").is_dir() {
            files_under(&entry.path(), &format!("{path}/"), found);
        } else {
            found.insert(path);
        }
    }
}

fn embedded() -> BTreeSet<String> {
    ASSETS.iter().map(|asset| asset.path.to_string()).collect()
}

fn text(path: &str) -> &'static str {
    let asset = ASSETS
        .iter()
        .find(|asset| asset.path == path)
        .expect("embedded");
    std::str::from_utf8(asset.body).expect("utf-8")
}

#[test]
fn every_file_of_the_assets_directory_is_embedded_once() {
    let mut on_disk = BTreeSet::new();
    files_under(&assets_dir(), "", &mut on_disk);
    assert_eq!(embedded(), on_disk);
    assert_eq!(ASSETS.len(), on_disk.len(), "an asset is listed twice");
}

/// The quoted specifiers after `from` in a module's import lines.
fn imports(source: &str) -> Vec<String> {
    source
        .lines()
        .filter(|line| line.starts_with("import ") || line.starts_with("export {"))
        .filter_map(|line| line.split(" from '").nth(1))
        .filter_map(|rest| rest.split('\'').next())
        .map(str::to_string)
        .collect()
}

/// `js/views/phase.js` importing `../api.js` → `js/api.js`.
fn resolve(from: &str, specifier: &str) -> String {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for segment in specifier.split('/') {
        match segment {
            "." => {}
            ".." => {
                parts.pop();
            }
            name => parts.push(name),
        }
    }
    parts.join("/")
}

#[test]
fn every_script_import_resolves_to_an_embedded_module() {
    let embedded = embedded();
    let mut checked = 0;
    for asset in ASSETS.iter().filter(|asset| asset.path.ends_with(".js")) {
        for specifier in imports(text(asset.path)) {
            assert!(
                specifier.starts_with("./") || specifier.starts_with("../"),
                "{} imports {specifier}: only relative, embedded modules",
                asset.path
            );
            let target = resolve(asset.path, &specifier);
            assert!(
                embedded.contains(&target),
                "{} imports {target}",
                asset.path
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} imports found");
}

#[test]
fn the_page_loads_only_embedded_files_and_nothing_from_another_origin() {
    let page = text("index.html");
    let embedded = embedded();
    let mut references = 0;
    for attribute in ["src=\"", "href=\""] {
        for value in page.split(attribute).skip(1) {
            let value = value.split('"').next().unwrap_or_default();
            if value.starts_with('#') {
                continue;
            }
            let path = value
                .strip_prefix("/console/")
                .unwrap_or_else(|| panic!("index.html loads {value}"));
            assert!(embedded.contains(path), "index.html loads {value}");
            references += 1;
        }
    }
    assert!(references >= 3);
    for asset in ASSETS {
        // The SVG namespace is a name, not a place anything is loaded from.
        let source = text(asset.path).replace("http://www.w3.org/2000/svg", "");
        assert!(
            !source.contains("http://") && !source.contains("https://"),
            "{} names another origin",
            asset.path
        );
        assert!(
            !source.contains(".innerHTML"),
            "{} writes HTML from strings",
            asset.path
        );
    }
}

async fn get(path: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let request = Request::get(path).body(Body::empty()).expect("request");
    let response = router().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, headers, body.to_vec())
}

#[tokio::test]
async fn the_root_serves_the_page_with_a_same_origin_policy() {
    let (status, headers, body) = get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    let policy = headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("ascii");
    assert!(policy.contains("script-src 'self'") && policy.contains("connect-src 'self'"));
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(body, text("index.html").as_bytes());
}

#[tokio::test]
async fn scripts_and_styles_are_served_with_their_media_types() {
    for (path, content_type) in [
        ("/console/js/app.js", "text/javascript; charset=utf-8"),
        (
            "/console/js/views/phase.js",
            "text/javascript; charset=utf-8",
        ),
        ("/console/style.css", "text/css; charset=utf-8"),
        ("/console/icon.svg", "image/svg+xml"),
    ] {
        let (status, headers, body) = get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(headers[header::CONTENT_TYPE], content_type, "{path}");
        assert!(!body.is_empty(), "{path}");
    }
}

#[tokio::test]
async fn unknown_and_traversing_paths_are_not_found() {
    for path in [
        "/console/nothing.js",
        "/console/../Cargo.toml",
        "/console/js/../../mod.rs",
        "/console/js/",
        "/console/mod.rs",
    ] {
        let (status, _, _) = get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
}
