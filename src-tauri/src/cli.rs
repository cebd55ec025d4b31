//! The command line: `tincan --host ...`, `tincan --join HOST[:PORT] ...`, and what the UI is
//! told about it through `launch_options`.

use clap::Parser;
use serde::Serialize;

use crate::address::{self, HostAddress};

/// Voice calls on your local network: host, join by IP, talk.
#[derive(Debug, Parser)]
#[command(name = "tincan", version, about, long_about = None)]
struct Args {
    /// Start hosting a call at once
    #[arg(long, conflicts_with = "join")]
    host: bool,
    /// Join the call hosted at this address at once
    #[arg(long, value_name = "HOST[:PORT]", value_parser = parse_join)]
    join: Option<String>,
    /// Room to host or join [default: lobby]
    #[arg(long, value_name = "R", value_parser = parse_room)]
    room: Option<String>,
    /// Your display name
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Passcode: required from joiners when hosting, sent when joining
    #[arg(long, value_name = "K")]
    key: Option<String>,
    /// Port to host on [default: 47800, or the next free one]
    #[arg(long, value_name = "N", requires = "host", value_parser = clap::value_parser!(u16).range(1..))]
    port: Option<u16>,
    /// Send a steady 440 Hz tone instead of the microphone
    #[arg(long)]
    test_tone: bool,
    /// Use the native audio engine even where the webview has WebRTC
    #[arg(long)]
    native: bool,
    /// Smallest audio buffers, for wired LANs: less delay, less robust to lost packets
    #[arg(long)]
    low_latency: bool,
}

/// How the app was started, as the UI receives it from `launch_options`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchOptions {
    /// Start hosting at once.
    pub host: bool,
    /// Address to join at once.
    pub join: Option<String>,
    /// Room to host or join; `None` means the default room.
    pub room: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Passcode.
    pub key: Option<String>,
    /// Port to host on.
    pub port: Option<u16>,
    /// Use a test tone instead of the microphone.
    pub test_tone: bool,
    /// Force the native engine.
    pub force_native: bool,
    /// Start with the low-latency setting on.
    pub low_latency: bool,
}

impl LaunchOptions {
    /// Reads the process's arguments. On `--help`, `--version` or a bad argument this prints
    /// and exits (status 2 for bad arguments) before any window or display is touched.
    pub fn from_env() -> Self {
        Args::parse().into()
    }

    /// Reads the given arguments (the first is the program name).
    pub fn try_from_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Args::try_parse_from(args).map(Into::into)
    }
}

impl From<Args> for LaunchOptions {
    fn from(args: Args) -> Self {
        Self {
            host: args.host,
            join: args.join,
            room: args.room,
            name: args.name,
            key: args.key,
            port: args.port,
            test_tone: args.test_tone,
            force_native: args.native,
            low_latency: args.low_latency,
        }
    }
}

fn parse_join(text: &str) -> Result<String, String> {
    HostAddress::parse(text)
        .map(|addr| addr.to_string())
        .map_err(|e| e.to_string())
}

fn parse_room(text: &str) -> Result<String, String> {
    address::check_room(text)
        .map(|()| text.to_owned())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;

    fn parse(args: &[&str]) -> Result<LaunchOptions, clap::Error> {
        LaunchOptions::try_from_args(std::iter::once("tincan").chain(args.iter().copied()))
    }

    #[test]
    fn no_arguments_opens_the_home_screen() {
        assert_eq!(parse(&[]).unwrap(), LaunchOptions::default());
    }

    #[test]
    fn reads_host_options() {
        let options = parse(&[
            "--host", "--port", "5000", "--room", "team", "--key", "k", "--name", "Ann",
        ])
        .unwrap();
        assert!(options.host);
        assert_eq!(options.port, Some(5000));
        assert_eq!(options.room.as_deref(), Some("team"));
        assert_eq!(options.key.as_deref(), Some("k"));
        assert_eq!(options.name.as_deref(), Some("Ann"));
        assert_eq!(options.join, None);
    }

    #[test]
    fn reads_join_options_and_normalises_the_address() {
        let options = parse(&[
            "--join",
            "10.0.0.5",
            "--test-tone",
            "--native",
            "--low-latency",
        ])
        .unwrap();
        assert!(options.low_latency);
        assert_eq!(options.join.as_deref(), Some("10.0.0.5:47800"));
        assert!(options.test_tone && options.force_native && !options.host);
    }

    #[test]
    fn serialises_with_the_ui_field_names() {
        let json = serde_json::to_value(parse(&["--test-tone"]).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"host": false, "join": null, "room": null, "name": null,
                "key": null, "port": null, "testTone": true, "forceNative": false,
                "lowLatency": false})
        );
    }

    #[test]
    fn refuses_bad_arguments_with_a_reason() {
        let error = parse(&["--join", "10.0.0.5:0"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ValueValidation);
        assert!(error.to_string().contains("port must be a number"));
        assert_eq!(error.exit_code(), 2);

        assert_eq!(
            parse(&["--host", "--join", "x"]).unwrap_err().kind(),
            ErrorKind::ArgumentConflict
        );
        assert_eq!(
            parse(&["--port", "5000"]).unwrap_err().kind(),
            ErrorKind::MissingRequiredArgument
        );
        assert_eq!(
            parse(&["--host", "--port", "0"]).unwrap_err().kind(),
            ErrorKind::ValueValidation
        );
        assert!(parse(&["--room", "a b"])
            .unwrap_err()
            .to_string()
            .contains("cannot be used"));
        assert_eq!(
            parse(&["--bogus"]).unwrap_err().kind(),
            ErrorKind::UnknownArgument
        );
    }

    #[test]
    fn version_is_the_crate_version() {
        let error = parse(&["--version"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::DisplayVersion);
        assert_eq!(
            error.to_string().trim(),
            format!("tincan {}", env!("CARGO_PKG_VERSION"))
        );
    }
}
