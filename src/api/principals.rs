//! The principals file: who may call the server, with which roles, proven how.
//!
//! A TOML file of `[[principal]]` tables, each with a `name` (recorded as the actor of
//! every event it posts), its `roles`, and how it proves who it is: `token_sha256`, the
//! SHA-256 of its bearer token in hex (the token itself is never stored), and/or
//! `mtls = true`, which lets a client certificate whose subject common name equals the
//! name stand for it.
//!
//! ```toml
//! [[principal]]
//! name = "treasury-erp"
//! roles = ["finance"]
//! token_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
//!
//! [[principal]]
//! name = "fund-manager.example.go.kr"
//! roles = ["government", "auditor"]
//! mtls = true
//! ```

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::auth::{Principal, LOCAL_ACTOR};
use crate::domain::Role;
use crate::limits::{NAME_BYTES_MAX, PRINCIPALS_FILE_BYTES_MAX, PRINCIPALS_MAX, TOKEN_BYTES_MAX};

/// Random bytes in a bearer token: 256 bits, beyond any guessing.
const TOKEN_RANDOM_BYTES: usize = 32;

/// Why a principals file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PrincipalsError {
    #[error("principals file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("principals file is over {PRINCIPALS_FILE_BYTES_MAX} bytes")]
    TooLarge,
    #[error("principals file is not valid TOML: {0}")]
    Syntax(String),
    #[error("principal {name:?}: {reason}")]
    Invalid { name: String, reason: String },
    #[error("principals file lists more than {PRINCIPALS_MAX} principals")]
    TooMany,
}

/// One `[[principal]]` table as written in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipalEntry {
    /// The principal's name, recorded as the actor of its events.
    pub name: String,
    /// Its roles by name: `finance`, `government`, `auditor`, `admin`.
    pub roles: Vec<String>,
    /// SHA-256 of its bearer token, 64 hex digits; absent for certificate-only principals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_sha256: Option<String>,
    /// Whether a client certificate with this name as subject CN authenticates it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mtls: bool,
}

/// The whole file.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrincipalsFile {
    #[serde(default)]
    principal: Vec<PrincipalEntry>,
}

/// A validated principal with its credentials.
#[derive(Debug, Clone)]
struct Known {
    principal: Principal,
    token_digest: Option<[u8; 32]>,
    mtls: bool,
}

/// Every principal the server knows, loaded from a principals file.
#[derive(Debug, Clone, Default)]
pub struct Principals {
    known: Vec<Known>,
}

impl Principals {
    /// Loads and validates a principals file.
    pub fn load(path: &Path) -> Result<Principals, PrincipalsError> {
        let text = read_bounded(path)?;
        warn_if_readable_by_others(path);
        Principals::parse(&text)
    }

    /// Parses and validates the text of a principals file: names unique and well formed,
    /// at least one known role each, a 64-hex-digit digest or `mtls`, no shared token.
    pub fn parse(text: &str) -> Result<Principals, PrincipalsError> {
        let file: PrincipalsFile =
            toml::from_str(text).map_err(|error| PrincipalsError::Syntax(error.to_string()))?;
        if file.principal.len() > PRINCIPALS_MAX {
            return Err(PrincipalsError::TooMany);
        }
        let mut known: Vec<Known> = Vec::with_capacity(file.principal.len());
        for entry in &file.principal {
            let next = validate(entry)?;
            let invalid = |reason: &str| PrincipalsError::Invalid {
                name: entry.name.clone(),
                reason: reason.to_string(),
            };
            if known
                .iter()
                .any(|other| other.principal.name == next.principal.name)
            {
                return Err(invalid("is listed twice"));
            }
            if next.token_digest.is_some()
                && known
                    .iter()
                    .any(|other| other.token_digest == next.token_digest)
            {
                return Err(invalid("has the same token as another principal"));
            }
            known.push(next);
        }
        Ok(Principals { known })
    }

    /// How many principals there are.
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// The principal a bearer token belongs to. The token's digest is compared with every
    /// stored digest in constant time, so the time taken says nothing about how close a
    /// guess came.
    pub fn by_token(&self, token: &str) -> Option<&Principal> {
        if token.is_empty() || token.len() > TOKEN_BYTES_MAX {
            return None;
        }
        let digest = token_digest(token);
        let mut found = None;
        for known in &self.known {
            let Some(stored) = &known.token_digest else {
                continue;
            };
            if bool::from(stored.ct_eq(&digest)) && found.is_none() {
                found = Some(&known.principal);
            }
        }
        found
    }

    /// The principal a verified client certificate with this subject common name stands
    /// for: only principals marked `mtls = true`.
    pub fn by_certificate_name(&self, common_name: &str) -> Option<&Principal> {
        self.known
            .iter()
            .find(|known| known.mtls && known.principal.name == common_name)
            .map(|known| &known.principal)
    }

    /// Whether any principal may authenticate with a client certificate.
    pub fn any_mtls(&self) -> bool {
        self.known.iter().any(|known| known.mtls)
    }
}

fn validate(entry: &PrincipalEntry) -> Result<Known, PrincipalsError> {
    let invalid = |reason: String| PrincipalsError::Invalid {
        name: entry.name.chars().take(64).collect(),
        reason,
    };
    check_name(&entry.name).map_err(invalid)?;
    let roles = entry
        .roles
        .iter()
        .map(|role| {
            role.parse::<Role>()
                .map_err(|error| invalid(error.to_string()))
        })
        .collect::<Result<BTreeSet<Role>, _>>()?;
    if roles.is_empty() {
        return Err(invalid("has no roles".into()));
    }
    let token_digest = entry
        .token_sha256
        .as_deref()
        .map(|hex_digest| {
            let mut digest = [0u8; 32];
            hex::decode_to_slice(hex_digest, &mut digest)
                .map(|()| digest)
                .map_err(|_| invalid("token_sha256 must be 64 hex digits".into()))
        })
        .transpose()?;
    if token_digest.is_none() && !entry.mtls {
        return Err(invalid(
            "has neither token_sha256 nor mtls = true: it could never sign in".into(),
        ));
    }
    Ok(Known {
        principal: Principal {
            name: entry.name.clone(),
            roles,
        },
        token_digest,
        mtls: entry.mtls,
    })
}

/// A principal name: 1 to [`NAME_BYTES_MAX`] bytes of printable text, not the name of the
/// unauthenticated actor.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("the name must not be blank".into());
    }
    if name.len() > NAME_BYTES_MAX {
        return Err(format!(
            "the name is over NAME_BYTES_MAX ({NAME_BYTES_MAX} bytes)"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("the name must not contain control characters".into());
    }
    if name == LOCAL_ACTOR {
        return Err(format!(
            "{LOCAL_ACTOR:?} is reserved for the server without authentication"
        ));
    }
    Ok(())
}

/// SHA-256 of a bearer token, as stored in the file.
pub fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A fresh bearer token: 32 bytes from the operating system's generator, base64url.
pub fn generate_token() -> String {
    let mut bytes = [0u8; TOKEN_RANDOM_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Adds a principal to a principals file (created, readable by its owner only, if absent)
/// and returns its bearer token, which is stored nowhere: `None` for a certificate-only
/// principal. The existing file is validated first and left unchanged on any error.
pub fn add_principal(
    path: &Path,
    name: &str,
    roles: &[Role],
    mtls_only: bool,
) -> Result<Option<String>, PrincipalsError> {
    let existing = match std::fs::metadata(path) {
        Ok(_) => read_bounded(path)?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(PrincipalsError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let token = (!mtls_only).then(generate_token);
    let entry = PrincipalEntry {
        name: name.to_string(),
        roles: roles.iter().map(|role| role.as_str().to_string()).collect(),
        token_sha256: token
            .as_deref()
            .map(|token| hex::encode(token_digest(token))),
        mtls: mtls_only,
    };
    let table = toml::to_string(&PrincipalsFile {
        principal: vec![entry],
    })
    .map_err(|error| PrincipalsError::Syntax(error.to_string()))?;
    let separator = if existing.is_empty() || existing.ends_with("\n\n") {
        ""
    } else if existing.ends_with('\n') {
        "\n"
    } else {
        "\n\n"
    };
    let updated = format!("{existing}{separator}{table}");
    // The whole result must load, so a duplicate name is refused before anything is written.
    Principals::parse(&updated)?;
    write_private(path, &updated[existing.len()..])?;
    Ok(token)
}

fn read_bounded(path: &Path) -> Result<String, PrincipalsError> {
    let io = |source| PrincipalsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > PRINCIPALS_FILE_BYTES_MAX as u64 {
        return Err(PrincipalsError::TooLarge);
    }
    std::fs::read_to_string(path).map_err(io)
}

/// Appends to the file, creating it with mode 0600 and tightening an existing one to it.
fn write_private(path: &Path, text: &str) -> Result<(), PrincipalsError> {
    let io = |source| PrincipalsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path).map_err(io)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)
    }
    #[cfg(not(unix))]
    {
        let mut file = options.open(path).map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)
    }
}

/// The file holds only digests, but who may sign in is still the operator's business.
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = std::fs::metadata(path) {
            if metadata.permissions().mode() & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "principals file is readable by other users; chmod 600 it");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, roles: &[&str], token: Option<&str>, mtls: bool) -> String {
        let roles: Vec<String> = roles.iter().map(|role| format!("{role:?}")).collect();
        let mut text = format!(
            "[[principal]]\nname = {name:?}\nroles = [{}]\n",
            roles.join(", ")
        );
        if let Some(token) = token {
            text.push_str(&format!(
                "token_sha256 = {:?}\n",
                hex::encode(token_digest(token))
            ));
        }
        if mtls {
            text.push_str("mtls = true\n");
        }
        text
    }

    #[test]
    fn a_token_finds_its_principal_and_a_wrong_token_finds_none() {
        let text = entry("treasury", &["finance"], Some("secret-1"), false)
            + &entry("fund", &["government"], Some("secret-2"), false);
        let principals = Principals::parse(&text).expect("valid file");
        assert_eq!(
            principals.by_token("secret-1").map(|p| p.name.as_str()),
            Some("treasury")
        );
        assert_eq!(
            principals.by_token("secret-2").map(|p| p.name.as_str()),
            Some("fund")
        );
        assert!(principals.by_token("secret-3").is_none());
        assert!(principals.by_token("").is_none());
        assert!(principals
            .by_token(&"x".repeat(TOKEN_BYTES_MAX + 1))
            .is_none());
    }

    #[test]
    fn only_mtls_principals_are_found_by_certificate_name() {
        let text = entry("auditor.example", &["auditor"], None, true)
            + &entry("treasury", &["finance"], Some("t"), false);
        let principals = Principals::parse(&text).expect("valid file");
        assert!(principals.by_certificate_name("auditor.example").is_some());
        assert!(principals.by_certificate_name("treasury").is_none());
    }

    #[test]
    fn malformed_principals_are_refused() {
        for bad in [
            entry("x", &["root"], Some("t"), false),
            entry("x", &[], Some("t"), false),
            entry("x", &["finance"], None, false),
            entry("", &["finance"], Some("t"), false),
            entry("local", &["finance"], Some("t"), false),
            entry("x", &["finance"], Some("t"), false) + &entry("x", &["admin"], Some("u"), false),
            entry("x", &["finance"], Some("t"), false) + &entry("y", &["admin"], Some("t"), false),
            "[[principal]]\nname = \"x\"\nroles = [\"finance\"]\ntoken_sha256 = \"abc\"\n"
                .to_string(),
            "[[principal]]\nname = \"x\"\nroles = [\"finance\"]\ntoken = \"plain\"\n".to_string(),
            "not toml".to_string(),
        ] {
            assert!(Principals::parse(&bad).is_err(), "accepted:\n{bad}");
        }
    }

    #[test]
    fn added_principals_sign_in_with_the_printed_token_and_the_file_is_private() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("principals.toml");
        let token = add_principal(&path, "treasury", &[Role::Finance, Role::Auditor], false)
            .expect("added")
            .expect("a token");
        let none = add_principal(&path, "auditor.example", &[Role::Auditor], true).expect("added");
        assert!(none.is_none());
        assert!(
            add_principal(&path, "treasury", &[Role::Admin], false).is_err(),
            "duplicate name accepted"
        );
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(!text.contains(&token), "the token itself was stored");
        let principals = Principals::load(&path).expect("loads");
        assert_eq!(principals.len(), 2);
        let treasury = principals.by_token(&token).expect("token signs in");
        assert_eq!(
            treasury.roles,
            [Role::Finance, Role::Auditor].into_iter().collect()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn tokens_are_fresh_256_bit_base64url() {
        let first = generate_token();
        assert_eq!(first.len(), 43);
        assert!(first
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_ne!(first, generate_token());
    }
}
