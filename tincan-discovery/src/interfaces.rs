//! Which network interfaces rooms are announced and looked for on.
//!
//! A room is only useful where the people who might join it are: the LAN. Container bridges,
//! VM switches and VPN tunnels would leak the room's existence to places it makes no sense (or
//! to a whole VPN) and fill the list with addresses nobody can reach, so they are skipped by
//! name unless the caller says otherwise.

use mdns_sd::{IfKind, IfPredicate};

/// Name prefixes (compared without case) of interfaces skipped by [`Interfaces::lan`]:
/// container runtimes, virtual machine switches and VPNs on Linux, macOS and Windows.
pub const DEFAULT_SKIPPED_PREFIXES: &[&str] = &[
    // Docker, Podman, LXC/LXD, Kubernetes networking.
    "docker",
    "br-",
    "veth",
    "cni",
    "flannel",
    "podman",
    "lxcbr",
    "lxdbr",
    // libvirt, VMware, VirtualBox, Parallels.
    "virbr",
    "vnet",
    "vmnet",
    "vboxnet",
    "vmware",
    "virtualbox",
    // VPNs and tunnels.
    "tun",
    "tap",
    "wg",
    "tailscale",
    "zt",
    "zerotier",
    "utun",
    "ipsec",
    "ppp",
    "openvpn",
    "wireguard",
    // Windows: Hyper-V and WSL switches are named "vEthernet (...)".
    "vethernet",
];

/// A choice of network interfaces by name. Loopback interfaces are never chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interfaces {
    /// When set, only these interfaces (exact names), and the skip list is not consulted.
    only: Option<Vec<String>>,
    /// Lowercase name prefixes to skip.
    skipped_prefixes: Vec<String>,
}

impl Default for Interfaces {
    fn default() -> Self {
        Self::lan()
    }
}

impl Interfaces {
    /// Every interface but loopback and those named like [`DEFAULT_SKIPPED_PREFIXES`].
    pub fn lan() -> Self {
        Self {
            only: None,
            skipped_prefixes: DEFAULT_SKIPPED_PREFIXES
                .iter()
                .map(|p| p.to_string())
                .collect(),
        }
    }

    /// Exactly the named interfaces, whatever their names look like (e.g. a bridge the user
    /// knows is the LAN).
    pub fn only<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            only: Some(names.into_iter().map(Into::into).collect()),
            skipped_prefixes: Vec::new(),
        }
    }

    /// These name prefixes as the whole skip list, instead of the default one.
    pub fn skipping<I, S>(prefixes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self {
            only: None,
            skipped_prefixes: prefixes
                .into_iter()
                .map(|p| p.as_ref().to_lowercase())
                .collect(),
        }
    }

    /// Whether an interface with this name is chosen.
    pub fn allows(&self, name: &str, is_loopback: bool) -> bool {
        if is_loopback {
            return false;
        }
        if let Some(only) = &self.only {
            return only.iter().any(|n| n == name);
        }
        let lower = name.to_lowercase();
        !self
            .skipped_prefixes
            .iter()
            .any(|p| !p.is_empty() && lower.starts_with(p.as_str()))
    }

    /// The interfaces this choice leaves out, in the responder's terms.
    pub(crate) fn excluded(&self) -> IfKind {
        let this = self.clone();
        IfKind::Predicate(IfPredicate::new(move |intf| {
            !this.allows(&intf.name, intf.is_loopback())
        }))
    }

    /// The interfaces this choice keeps, in the responder's terms.
    pub(crate) fn included(&self) -> IfKind {
        let this = self.clone();
        IfKind::Predicate(IfPredicate::new(move |intf| {
            this.allows(&intf.name, intf.is_loopback())
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lan_skips_loopback_containers_vms_and_vpns() {
        let lan = Interfaces::lan();
        for name in [
            "docker0",
            "br-3f2a9c",
            "veth12ab",
            "virbr0",
            "tun0",
            "tap1",
            "wg0",
            "tailscale0",
            "ztabcdef",
            "utun3",
            "vEthernet (WSL)",
            "vEthernet (Default Switch)",
            "vboxnet0",
            "VMware Network Adapter VMnet8",
        ] {
            assert!(!lan.allows(name, false), "{name} should be skipped");
        }
        assert!(!lan.allows("lo", true));
        for name in [
            "eth0",
            "enp3s0",
            "wlan0",
            "wlp2s0",
            "en0",
            "Wi-Fi",
            "Ethernet 2",
            "tcnlan0",
        ] {
            assert!(lan.allows(name, false), "{name} should be used");
        }
    }

    #[test]
    fn only_is_exact_and_overrides_the_skip_list() {
        let only = Interfaces::only(["docker7", "eth1"]);
        assert!(only.allows("docker7", false));
        assert!(only.allows("eth1", false));
        assert!(!only.allows("eth0", false));
        assert!(!only.allows("docker70", false));
        assert!(!only.allows("docker7", true), "loopback is never used");
    }

    #[test]
    fn skipping_replaces_the_default_list() {
        let custom = Interfaces::skipping(["ETH"]);
        assert!(!custom.allows("eth0", false));
        assert!(custom.allows("docker0", false));
        let none = Interfaces::skipping([""]);
        assert!(
            none.allows("anything", false),
            "an empty prefix skips nothing"
        );
    }
}
