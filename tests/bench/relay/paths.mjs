'use strict';
// Where the benchmark finds the repository, its build outputs and the peers it compares with.

import { fileURLToPath } from 'node:url';
import path from 'node:path';

/// The repository's root.
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/// Cargo's target folder (the same one cargo would use from the root).
export const target = process.env.CARGO_TARGET_DIR || path.join(root, 'target');

/// Benchmark-only npm packages (`peer`, `ws`), kept out of the project's node_modules.
export const deps = path.join(target, 'bench-peers');

/// `cargo install --root` folder for `matchbox_server`.
export const tools = path.join(target, 'bench-tools');

/// The release build of the relay.
export const relayBinary = path.join(target, 'release', 'tincan-relay');

/// The matchbox signaling server binary.
export const matchboxBinary = path.join(tools, 'bin', 'matchbox_server');

/// Where results and logs go.
export const work = path.join(target, 'bench-relay');
