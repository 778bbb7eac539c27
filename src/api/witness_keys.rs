//! The witnesses a server knows: verifier keys read from `serve --witness-keys FILE`, one
//! signed-note verifier key (`name+hash+base64key`) per line, `#` starting a comment.
//! When the server has them, it accepts a cosignature only if it verifies under one.

use std::path::Path;

use crate::audit::{AuditError, VerifierKey};
use crate::limits::{WITNESS_KEYS_FILE_BYTES_MAX, WITNESS_KEYS_MAX};

/// Why a witness keys file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WitnessKeysError {
    /// The file cannot be read.
    #[error("cannot read the witness keys file: {0}")]
    Io(#[from] std::io::Error),
    /// The file is larger than [`WITNESS_KEYS_FILE_BYTES_MAX`].
    #[error("the witness keys file is over {WITNESS_KEYS_FILE_BYTES_MAX} bytes")]
    TooLarge,
    /// More keys than [`WITNESS_KEYS_MAX`].
    #[error("the witness keys file lists more than {WITNESS_KEYS_MAX} keys")]
    TooMany,
    /// A line is not a verifier key.
    #[error("witness keys file line {line}: {error}")]
    Key {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        error: AuditError,
    },
}

/// The cosignature verifier keys of the witnesses this server accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WitnessKeys {
    /// Each key in its cosignature (type 0x04) form.
    keys: Vec<VerifierKey>,
}

impl WitnessKeys {
    /// Parses the file's text: one verifier key per line, in either form a witness
    /// publishes (its cosignature key, or its plain Ed25519 key, read as the same key
    /// cosigning); blank lines and text after `#` are ignored.
    pub fn parse(text: &str) -> Result<WitnessKeys, WitnessKeysError> {
        let mut keys = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.split_once('#').map_or(line, |(key, _)| key).trim();
            if line.is_empty() {
                continue;
            }
            if keys.len() == WITNESS_KEYS_MAX {
                return Err(WitnessKeysError::TooMany);
            }
            let key = VerifierKey::parse(line).map_err(|error| WitnessKeysError::Key {
                line: index + 1,
                error,
            })?;
            keys.push(key.as_cosignature_key());
        }
        Ok(WitnessKeys { keys })
    }

    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<WitnessKeys, WitnessKeysError> {
        let size = std::fs::metadata(path)?.len();
        if size > WITNESS_KEYS_FILE_BYTES_MAX as u64 {
            return Err(WitnessKeysError::TooLarge);
        }
        WitnessKeys::parse(&std::fs::read_to_string(path)?)
    }

    /// The key named `name` with cosignature key hash `key_hash`, if it is a known witness's.
    pub fn find(&self, name: &str, key_hash: u32) -> Option<&VerifierKey> {
        self.keys
            .iter()
            .find(|key| key.name() == name && key.key_hash() == key_hash)
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are none (every cosignature is then refused).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_witness_keys_file_parses() {
        let guide = include_str!("../../docs/verification.md");
        let start = guide
            .find("# the fund manager's witness")
            .expect("the documented example");
        let example: String = guide[start..]
            .lines()
            .take_while(|line| !line.starts_with("```"))
            .map(|line| format!("{line}\n"))
            .collect();
        let keys = WitnessKeys::parse(&example).expect("the documented example is a valid key");
        assert_eq!(keys.len(), 1);
    }
    use crate::audit::SigningKey;

    #[test]
    fn given_keys_comments_and_blank_lines_then_every_key_is_known_in_cosignature_form() {
        let a = SigningKey::from_seed("witness.example/a", [1; 32]).unwrap();
        let b = SigningKey::from_seed("witness.example/b", [2; 32]).unwrap();
        let text = format!(
            "# our witnesses\n\n{}\n  {}  # plain key, read as cosigning\n",
            a.cosignature_verifier_key(),
            b.verifier_key()
        );
        let keys = WitnessKeys::parse(&text).expect("parses");
        assert_eq!(keys.len(), 2);
        assert!(keys.find(a.name(), a.cosignature_key_hash()).is_some());
        assert!(keys.find(b.name(), b.cosignature_key_hash()).is_some());
        assert!(keys.find(b.name(), b.key_hash()).is_none());
    }

    #[test]
    fn given_a_line_that_is_not_a_key_then_the_error_names_the_line() {
        let error = WitnessKeys::parse("# header\nnot-a-key\n").expect_err("refused");
        assert!(
            matches!(error, WitnessKeysError::Key { line: 2, .. }),
            "{error}"
        );
    }
}
