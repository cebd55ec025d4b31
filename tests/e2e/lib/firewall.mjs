// Packet drops with nftables, for tests that cut one connection while everything else goes on.
// Only inside the test namespace (scripts/netns-run.sh sets TINCAN_NETNS_ADDR): a rule made
// outside it would act on the machine's own network.
import { execFileSync } from 'node:child_process';

export function inTestNamespace() {
  return Boolean(process.env.TINCAN_NETNS_ADDR);
}

function nft(script) {
  execFileSync('nft', ['-f', '-'], { input: script, stdio: ['pipe', 'pipe', 'pipe'] });
}

// Drops every TCP packet this namespace sends to `address`:`port`, so a connection there goes
// half-open: the far side's packets still arrive, ours never do. Returns a function that lifts
// the drop.
export function dropTcpTo(address, port) {
  if (!inTestNamespace()) throw new Error('packet drops are only made inside the test namespace');
  const table = `tincan_drop_${process.pid}_${port}`;
  nft([
    `table ip ${table} {`,
    '  chain out {',
    '    type filter hook output priority 0; policy accept;',
    `    ip daddr ${address} tcp dport ${port} drop`,
    '  }',
    '}',
  ].join('\n'));
  let lifted = false;
  return () => {
    if (lifted) return;
    lifted = true;
    nft(`delete table ip ${table}`);
  };
}
