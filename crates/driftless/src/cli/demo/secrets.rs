//! The demo's admin API token and webhook secret: random, generated once, kept in files only
//! their owner can read, and reused on every restart.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{bail, Context};

/// Bytes of randomness in a generated secret (printed as twice as many hex digits).
const SECRET_BYTES: usize = 32;

/// A new random secret: 32 bytes from the operating system's generator, as lowercase hex.
pub fn generate() -> anyhow::Result<String> {
    let mut bytes = [0u8; SECRET_BYTES];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut bytes))
        .context("reading random bytes from /dev/urandom")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The secret kept in `path`, or a new one written there (mode 0600) when the file is missing
/// or empty.
pub fn load_or_create(path: &Path) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => {
            let secret = text.trim().to_owned();
            if secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
                bail!(
                    "{} holds more than one word; delete it to have a new secret generated",
                    path.display()
                );
            }
            return Ok(secret);
        }
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    }
    let secret = generate()?;
    write_private(path, &format!("{secret}\n"))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(secret)
}

/// Writes a file readable by its owner only (mode 0600, also when it already existed).
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn generated_secrets_are_64_hex_digits_and_differ() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_eq!(a.len(), 64);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
    }

    #[test]
    fn a_secret_is_created_once_private_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api-token");
        let first = load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(load_or_create(&path).unwrap(), first);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{first}\n")
        );
    }

    #[test]
    fn an_empty_file_gets_a_new_secret_and_a_garbled_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("webhook-secret");
        std::fs::write(&path, "\n").unwrap();
        assert_eq!(load_or_create(&path).unwrap().len(), 64);
        std::fs::write(&path, "two words\n").unwrap();
        let error = load_or_create(&path).unwrap_err().to_string();
        assert!(error.contains("more than one word"), "{error}");
    }
}
