'use strict';
// Runs the PeerJS server (npm `peer`) with its defaults on 127.0.0.1:PORT. Its own command-line
// entry logs every connection to stdout; this one does not, so that it does the same work as
// the other servers under test, which run with logging at warn level.
//
// node peerjs-server.mjs PORT [MAX_CONNECTIONS]

import { createRequire } from 'node:module';
import { deps } from './paths.mjs';

const require = createRequire(`${deps}/package.json`);
const { PeerServer } = require('peer');

const port = Number(process.argv[2]);
const limit = Number(process.argv[3] || 5000);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node peerjs-server.mjs PORT [MAX_CONNECTIONS]');
  process.exit(2);
}
PeerServer({ host: '127.0.0.1', port, concurrent_limit: limit }, () => {
  console.log(`PeerJS server on 127.0.0.1:${port}`);
});
process.on('SIGTERM', () => process.exit(0));
