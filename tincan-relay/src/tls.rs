//! HTTPS on the relay's one port: a self-signed certificate made once and kept in a folder, and
//! the first-byte check that sends TLS clients through a handshake and plain HTTP clients on as
//! before. Browsers give the microphone only to secure pages, so a phone joining from its browser
//! needs `https://`, while the app's own clients keep speaking `ws://` on the same address.

use std::{
    fmt, fs,
    io::{self, Write},
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, SystemTime},
};

use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;
use tokio_rustls::{server::TlsStream, TlsAcceptor};

/// The certificate file in the folder.
const CERT_FILE: &str = "cert.pem";
/// The private key file in the folder, readable by its owner only.
const KEY_FILE: &str = "key.pem";

/// First byte of every TLS record that opens a connection (a handshake record, RFC 8446 5.1);
/// no HTTP method starts with it.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// Why a certificate could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file or the folder could not be read, written or created.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The kept files are not a certificate and key that belong together.
    #[error("{path}: {reason}; remove the folder's cert.pem and key.pem to make a new one")]
    Invalid {
        /// The folder holding them.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Making a new key or certificate failed.
    #[error("cannot make a certificate: {0}")]
    Generate(#[from] rcgen::Error),
}

/// The SHA-256 of a certificate (its DER bytes), the value browsers show as its fingerprint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint of a DER certificate.
    pub fn of(der: &[u8]) -> Self {
        Self(Sha256::digest(der).into())
    }

    /// The raw digest.
    pub fn bytes(&self) -> [u8; 32] {
        self.0
    }

    /// Sixteen groups of four uppercase hex digits, the form people compare by eye.
    pub fn grouped(&self) -> String {
        let hex: String = self.0.iter().map(|b| format!("{b:02X}")).collect();
        hex.as_bytes()
            .chunks(4)
            .map(|group| std::str::from_utf8(group).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.grouped())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.grouped())
    }
}

/// A certificate and key the relay serves HTTPS with.
#[derive(Clone)]
pub struct TlsIdentity {
    config: Arc<rustls::ServerConfig>,
    fingerprint: Fingerprint,
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl TlsIdentity {
    /// Loads the certificate kept in `dir`, or makes one there (folder 0700, key 0600) when there
    /// is none yet. `name` goes into the certificate's subject, where browsers show it.
    pub fn load_or_create(dir: &Path, name: &str) -> Result<Self, TlsError> {
        let cert_path = dir.join(CERT_FILE);
        let key_path = dir.join(KEY_FILE);
        if !(cert_path.is_file() && key_path.is_file()) {
            create(dir, name)?;
        }
        tighten(&key_path)?;
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| TlsError::Io { path, source }
        };
        let cert_pem = fs::read(&cert_path).map_err(io(&cert_path))?;
        let key_pem = fs::read(&key_path).map_err(io(&key_path))?;
        let invalid = |reason: String| TlsError::Invalid {
            path: dir.to_owned(),
            reason,
        };
        let cert = CertificateDer::from_pem_slice(&cert_pem)
            .map_err(|e| invalid(format!("no certificate in {CERT_FILE}: {e}")))?;
        let key = PrivateKeyDer::from_pem_slice(&key_pem)
            .map_err(|e| invalid(format!("no private key in {KEY_FILE}: {e}")))?;
        let fingerprint = Fingerprint::of(&cert);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .map_err(|e| invalid(format!("the certificate and key do not fit: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            config: Arc::new(config),
            fingerprint,
        })
    }

    /// The certificate's SHA-256 fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(Arc::clone(&self.config))
    }
}

/// The folder the headless relay keeps its certificate in when none is given:
/// `$XDG_DATA_HOME/tincan-relay`, else `~/.local/share/tincan-relay`.
pub fn default_dir() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share"))
        })?;
    Some(data.join("tincan-relay"))
}

/// Makes a key and a self-signed certificate for it, writing the key first so that a folder
/// never holds a certificate without its key.
fn create(dir: &Path, name: &str) -> Result<(), TlsError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| TlsError::Io { path, source }
    };
    make_private_dir(dir).map_err(io(dir))?;
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(vec!["tincan.local".to_owned()])?;
    let mut subject = rcgen::DistinguishedName::new();
    subject.push(rcgen::DnType::CommonName, format!("Tincan on {name}"));
    subject.push(rcgen::DnType::OrganizationName, "Tincan");
    params.distinguished_name = subject;
    let year = this_year();
    params.not_before = rcgen::date_time_ymd(year - 1, 1, 1);
    params.not_after = rcgen::date_time_ymd(year + 20, 1, 1);
    let cert = params.self_signed(&key)?;
    let key_path = dir.join(KEY_FILE);
    let cert_path = dir.join(CERT_FILE);
    write_new(&key_path, key.serialize_pem().as_bytes(), 0o600).map_err(io(&key_path))?;
    write_new(&cert_path, cert.pem().as_bytes(), 0o644).map_err(io(&cert_path))?;
    tracing::info!(dir = %dir.display(), "made a new TLS certificate");
    Ok(())
}

fn this_year() -> i32 {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    // Mean Gregorian year; a day off at a year's edge does not matter for validity dates.
    1970 + i32::try_from(secs / 31_556_952).unwrap_or(0)
}

fn make_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes `bytes` to a temporary file created with `mode`, then renames it over `path`, so a
/// crash leaves either the old file or the whole new one.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let temporary = path.with_extension("new");
    let _ = fs::remove_file(&temporary);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&temporary, path)
}

/// Makes a key file that others can read private again (it may have been copied in by hand).
fn tighten(key_path: &Path) -> Result<(), TlsError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let io = |source| TlsError::Io {
            path: key_path.to_owned(),
            source,
        };
        let mode = fs::metadata(key_path).map_err(io)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(path = %key_path.display(), "the TLS key was readable by others; made it private");
            fs::set_permissions(key_path, fs::Permissions::from_mode(0o600)).map_err(io)?;
        }
    }
    #[cfg(not(unix))]
    let _ = key_path;
    Ok(())
}

/// A connection after its first byte was seen: plain TCP, or TLS with the handshake done.
pub(crate) enum Opened {
    /// Not TLS (or closed before a byte): served as plain HTTP.
    Plain(TcpStream),
    /// A finished TLS handshake.
    Tls(Box<TlsStream<TcpStream>>),
}

/// Why a connection did not get as far as HTTP.
#[derive(Debug)]
pub(crate) enum OpenFailure {
    /// No first byte, or no finished handshake, within the time allowed.
    Timeout,
    /// The handshake failed (a client that does not accept the certificate closes here).
    Handshake(io::Error),
}

/// Looks at the first byte without taking it, and runs the TLS handshake when it opens one;
/// both within `limit`, so a client that stalls in the handshake is closed like one that stalls
/// in its request head.
pub(crate) async fn open(
    tcp: TcpStream,
    identity: &TlsIdentity,
    limit: Duration,
) -> Result<Opened, OpenFailure> {
    let acceptor = identity.acceptor();
    let opening = async move {
        let mut first = [0u8; 1];
        let seen = tcp.peek(&mut first).await.map_err(OpenFailure::Handshake)?;
        if seen == 0 || first[0] != TLS_HANDSHAKE_RECORD {
            return Ok(Opened::Plain(tcp));
        }
        let tls = acceptor.accept(tcp).await.map_err(OpenFailure::Handshake)?;
        Ok(Opened::Tls(Box::new(tls)))
    };
    tokio::time::timeout(limit, opening)
        .await
        .unwrap_or(Err(OpenFailure::Timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_the_digest_for_people() {
        let fingerprint = Fingerprint([0xAB; 32]);
        let grouped = fingerprint.grouped();
        assert_eq!(grouped.split(' ').count(), 16);
        assert!(grouped.starts_with("ABAB ABAB "));
        assert_eq!(grouped.len(), 64 + 15);
    }

    #[test]
    fn keeps_one_certificate_and_a_private_key() {
        let dir = std::env::temp_dir().join(format!("tincan-tls-unit-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let first = TlsIdentity::load_or_create(&dir, "test").unwrap();
        let again = TlsIdentity::load_or_create(&dir, "test").unwrap();
        assert_eq!(first.fingerprint(), again.fingerprint());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            let folder = fs::metadata(&dir).unwrap().permissions().mode();
            assert_eq!(folder & 0o077, 0, "the folder is private too");
        }
        fs::write(dir.join(KEY_FILE), "not a key").unwrap();
        let err = TlsIdentity::load_or_create(&dir, "test").unwrap_err();
        assert!(matches!(err, TlsError::Invalid { .. }), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
