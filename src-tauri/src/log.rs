//! The app's log: `tracing` events (the app's and the embedded relay's) to stderr and to
//! `tincan.log` in the app's log folder, which Settings can open for a bug report.

use std::{
    fs::{self, File},
    io::{self, Write},
    path::{Path, PathBuf},
    sync::Mutex,
    time::Duration,
};

use tauri::{AppHandle, Manager, Runtime};
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

use crate::error::Error;

/// The current run's log file, in the app's log folder.
pub const LOG_FILE: &str = "tincan.log";
/// The previous run's log, kept because the run that went wrong is often the one before the
/// person opens the folder.
pub const OLD_LOG_FILE: &str = "tincan.old.log";
/// Past this, a run writes no more to the file (stderr still gets everything). With one file
/// per run and one kept from before, the folder never holds more than twice this, and a run
/// that logs this much is broken in a way its first lines explain.
const MAX_LOG_BYTES: u64 = 8 * 1024 * 1024;
/// Without `RUST_LOG`: the app's and the relay's joins, leaves and refusals, others' warnings.
const DEFAULT_FILTER: &str = "warn,tincan_lib=info,tincan_relay=info,tincan_discovery=info";
/// How long a file manager may take to start before the command gives up waiting for it.
const OPEN_TIMEOUT: Duration = Duration::from_secs(5);

/// The app's log folder, which may not exist yet.
pub fn log_dir<R: Runtime>(app: &AppHandle<R>) -> Result<PathBuf, String> {
    app.path().app_log_dir().map_err(|error| error.to_string())
}

/// Sends `tracing` events to stderr and to the log file. A file that cannot be made leaves
/// stderr alone, said so there; the app runs on either way.
pub fn init<R: Runtime>(app: &AppHandle<R>) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let (file, file_error) =
        match log_dir(app).and_then(|dir| open_log(&dir).map_err(|e| e.to_string())) {
            Ok(file) => (Some(file), None),
            Err(error) => (None, Some(error)),
        };
    let to_file = file.map(|file| {
        fmt::layer()
            .with_ansi(false)
            .with_writer(Mutex::new(Capped::new(file, MAX_LOG_BYTES)))
    });
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(io::stderr))
        .with(to_file)
        .try_init();
    if installed.is_ok() {
        tracing::info!(version = %app.package_info().version, "tincan started");
        if let Some(error) = file_error {
            tracing::warn!("no log file: {error}");
        }
    }
}

/// Moves the last run's log aside and starts a new one. A fresh file per run, rather than
/// appending, keeps the size bound simple: no rotation while the app runs.
fn open_log(dir: &Path) -> io::Result<File> {
    fs::create_dir_all(dir)?;
    let current = dir.join(LOG_FILE);
    if current.exists() {
        fs::rename(&current, dir.join(OLD_LOG_FILE))?;
    }
    File::create(current)
}

/// A file that takes at most `left` more bytes, then one line saying so, then nothing.
struct Capped {
    file: File,
    left: u64,
}

impl Capped {
    fn new(file: File, max: u64) -> Self {
        Self { file, left: max }
    }
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.left == 0 {
            // Swallowed, so the stderr layer and the app carry on.
            return Ok(buf.len());
        }
        let len = buf.len() as u64;
        if len > self.left {
            self.left = 0;
            self.file
                .write_all(b"(log file full: later lines went to stderr only)\n")?;
            return Ok(buf.len());
        }
        self.left -= len;
        self.file.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Shows `dir` (made first if missing) in the system's file manager, waiting at most a few
/// seconds for one to start.
pub async fn open_folder<R: Runtime>(app: &AppHandle<R>, dir: PathBuf) -> Result<(), Error> {
    use tauri_plugin_opener::OpenerExt;
    let failed = |reason: String| Error::OpenLogFolder {
        path: dir.display().to_string(),
        reason,
    };
    fs::create_dir_all(&dir).map_err(|error| failed(error.to_string()))?;
    let opener = app.clone();
    let path = dir.clone();
    let opening = tauri::async_runtime::spawn_blocking(move || {
        opener
            .opener()
            .open_path(path.to_string_lossy(), None::<&str>)
            .map_err(|error| error.to_string())
    });
    match tokio::time::timeout(OPEN_TIMEOUT, opening).await {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(reason))) => {
            tracing::warn!(dir = %dir.display(), "cannot open the log folder: {reason}");
            Err(failed(reason))
        }
        Ok(Err(error)) => Err(failed(error.to_string())),
        Err(_) => Err(failed("no file manager answered".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_writes_stop_at_the_limit_with_one_line() {
        let dir = std::env::temp_dir().join(format!("tincan-log-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("capped.log");
        let mut capped = Capped::new(File::create(&path).unwrap(), 10);
        assert_eq!(capped.write(b"12345\n").unwrap(), 6);
        assert_eq!(capped.write(b"67890\n").unwrap(), 6);
        assert_eq!(capped.write(b"more\n").unwrap(), 5);
        capped.flush().unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("12345\n(log file full"), "{text}");
        assert_eq!(text.lines().count(), 2);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_new_run_keeps_the_previous_log_as_old() {
        let dir = std::env::temp_dir().join(format!("tincan-log-rotate-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        drop(open_log(&dir).unwrap());
        fs::write(dir.join(LOG_FILE), "first run\n").unwrap();
        drop(open_log(&dir).unwrap());
        assert_eq!(
            fs::read_to_string(dir.join(OLD_LOG_FILE)).unwrap(),
            "first run\n"
        );
        assert_eq!(fs::read_to_string(dir.join(LOG_FILE)).unwrap(), "");
        fs::remove_dir_all(&dir).unwrap();
    }
}
