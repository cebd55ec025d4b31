//! The relay program itself as a child process, for limits that only the whole process shows
//! (open files, memory, signals).

use std::{net::SocketAddr, time::Duration};

use tokio_tungstenite::connect_async;

use super::{Client, Welcome, WAIT};

/// A `tincan-relay` program started by a test, killed on drop.
pub struct RelayProcess {
    pub child: tokio::process::Child,
    pub addr: SocketAddr,
    pub pid: u32,
    /// Everything the relay wrote to stderr so far (its log).
    pub log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl RelayProcess {
    /// Starts the relay binary with `args` (plus `--listen 127.0.0.1:0`), optionally under
    /// `ulimit -n <fd_limit>`, and reads its address from the first line it prints.
    pub async fn start(args: &[&str], fd_limit: Option<u32>) -> Self {
        Self::start_with_env(args, fd_limit, &[]).await
    }

    /// Like `start`, with extra environment variables for the relay.
    pub async fn start_with_env(
        args: &[&str],
        fd_limit: Option<u32>,
        env: &[(&str, &str)],
    ) -> Self {
        use std::process::Stdio;
        use tokio::io::{AsyncBufReadExt, BufReader};
        let binary = env!("CARGO_BIN_EXE_tincan-relay");
        let mut command = match fd_limit {
            Some(limit) => {
                let mut command = tokio::process::Command::new("sh");
                command
                    .arg("-c")
                    .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""));
                command.arg(binary);
                command
            }
            None => tokio::process::Command::new(binary),
        };
        command
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("TINCAN_RELAY_KEY")
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("spawn tincan-relay");
        let pid = child.id().expect("relay pid");
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut errors = BufReader::new(child.stderr.take().unwrap()).lines();
        let sink = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = errors.next_line().await {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("no startup line")
            .unwrap()
            .unwrap_or_else(|| panic!("relay exited early: {}", log.lock().unwrap()));
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let addr = first
            .strip_prefix("listening on ws://")
            .and_then(|rest| rest.strip_suffix("/ws"))
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
        Self {
            child,
            addr,
            pid,
            log,
        }
    }

    /// The relay's log so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Resident memory of the relay, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc status")
    }

    /// Open file descriptors of the relay.
    pub fn fd_count(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid))
            .unwrap()
            .count()
    }
}

/// Raises this test process's soft open-file limit to its hard limit.
pub fn raise_fd_limit() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX).expect("raise the open-file limit")
}

impl RelayProcess {
    /// Peak resident memory of the process so far (VmHWM), in bytes.
    pub fn peak_memory(&self) -> u64 {
        let pid = self.child.id().expect("relay still running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/PID/status");
        kib * 1024
    }

    /// Opens a WebSocket to the child and reads its `welcome`.
    pub async fn join(&self, path_and_query: &str) -> (Client, Welcome) {
        let url = format!("ws://{}{}", self.addr, path_and_query);
        let (ws, _) = tokio::time::timeout(WAIT, connect_async(url.as_str()))
            .await
            .expect("connect timed out")
            .unwrap_or_else(|e| panic!("connect to {url} failed: {e}"));
        let mut client = Client { ws };
        let welcome = client.welcome().await;
        (client, welcome)
    }
}
