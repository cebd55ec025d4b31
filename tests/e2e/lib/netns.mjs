// The test namespace's network (see scripts/netns-run.sh).
import { execFileSync } from 'node:child_process';

// The namespace's two addresses carry every ICE candidate; taking them away cuts the media path
// while signaling on loopback stays up.
const ADDRESSES = [['10.99.0.1/24', 'tcn0'], ['10.99.0.2/24', 'tcn1']];

export function setAddresses(present) {
  for (const [addr, dev] of ADDRESSES) {
    try {
      execFileSync('ip', ['addr', present ? 'add' : 'del', addr, 'dev', dev], { stdio: 'pipe' });
    } catch (err) {
      if (!/File exists|already assigned|Cannot assign/.test(String(err.stderr))) throw err;
    }
  }
}
