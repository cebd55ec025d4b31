'use strict';

// Boils a connection's getStats() report down to the few numbers the quality view and the test
// hook need. Rates come from the difference to the previous summary of the same connection.

function forEachStat(report, fn) {
  // Real reports are maplike; the native engine may hand over a plain array.
  if (typeof report?.forEach === 'function') report.forEach((s) => fn(s));
  else for (const s of Object.values(report ?? {})) fn(s);
}

export function summarizeStats(report, previous = null) {
  let inbound = null;
  let outbound = null;
  let remoteInbound = null;
  let pair = null;
  const pairs = [];
  const transports = [];
  forEachStat(report, (s) => {
    if (s.type === 'inbound-rtp' && (s.kind ?? s.mediaType) === 'audio') inbound = s;
    else if (s.type === 'outbound-rtp' && (s.kind ?? s.mediaType) === 'audio') outbound = s;
    else if (s.type === 'remote-inbound-rtp' && (s.kind ?? s.mediaType) === 'audio') remoteInbound = s;
    else if (s.type === 'candidate-pair') pairs.push(s);
    else if (s.type === 'transport') transports.push(s);
  });
  // The pair in use is the transport's selected one; older reports only mark it nominated.
  const transport = transports.find((t) => t.selectedCandidatePairId) ?? transports[0];
  const selectedId = transport?.selectedCandidatePairId;
  pair = pairs.find((p) => p.id === selectedId)
    ?? pairs.find((p) => p.nominated && p.state === 'succeeded')
    ?? null;

  const timestamp = performance.now();
  const summary = {
    timestamp,
    packetsReceived: inbound?.packetsReceived ?? 0,
    packetsLost: Math.max(0, inbound?.packetsLost ?? 0),
    bytesReceived: inbound?.bytesReceived ?? 0,
    bytesSent: outbound?.bytesSent ?? 0,
    packetsSent: outbound?.packetsSent ?? 0,
    totalAudioEnergy: inbound?.totalAudioEnergy ?? 0,
    totalSamplesDuration: inbound?.totalSamplesDuration ?? 0,
    audioLevel: inbound?.audioLevel ?? 0,
    jitterMs: inbound?.jitter != null ? inbound.jitter * 1000 : null,
    // Cumulative: seconds of delay summed over every sample the jitter buffer let out.
    jitterBufferDelay: inbound?.jitterBufferDelay ?? 0,
    jitterBufferTargetDelay: inbound?.jitterBufferTargetDelay ?? 0,
    jitterBufferEmittedCount: inbound?.jitterBufferEmittedCount ?? 0,
    // What the receiver holds back right now, and what it aims for, over the last interval.
    bufferMs: null,
    bufferTargetMs: null,
    rttMs: null,
    lossPct: null,
    inKbps: null,
    outKbps: null,
    localCandidateType: null,
    // Changes with every ICE restart.
    iceUfrag: transport?.iceLocalUsernameFragment ?? null,
  };
  const rtt = pair?.currentRoundTripTime ?? remoteInbound?.roundTripTime;
  if (rtt != null) summary.rttMs = rtt * 1000;
  if (pair) {
    let local = null;
    forEachStat(report, (s) => { if (s.id === pair.localCandidateId) local = s; });
    summary.localCandidateType = local?.candidateType ?? null;
  }

  if (previous) {
    const seconds = (timestamp - previous.timestamp) / 1000;
    if (seconds > 0) {
      summary.inKbps = Math.max(0, ((summary.bytesReceived - previous.bytesReceived) * 8) / 1000 / seconds);
      summary.outKbps = Math.max(0, ((summary.bytesSent - previous.bytesSent) * 8) / 1000 / seconds);
    }
    const emitted = summary.jitterBufferEmittedCount - previous.jitterBufferEmittedCount;
    if (emitted > 0) {
      summary.bufferMs = ((summary.jitterBufferDelay - previous.jitterBufferDelay) / emitted) * 1000;
      summary.bufferTargetMs = ((summary.jitterBufferTargetDelay - previous.jitterBufferTargetDelay) / emitted) * 1000;
    }
    // Loss over the last interval says more about the call right now than the total since start.
    const got = summary.packetsReceived - previous.packetsReceived;
    const lost = summary.packetsLost - previous.packetsLost;
    if (got + lost > 0) summary.lossPct = (Math.max(0, lost) / (got + Math.max(0, lost))) * 100;
    else if (summary.packetsReceived > 0) summary.lossPct = 0;
  } else if (summary.packetsReceived + summary.packetsLost > 0) {
    summary.lossPct = (summary.packetsLost / (summary.packetsReceived + summary.packetsLost)) * 100;
  }
  return summary;
}

// Calls "good", "fair" or "poor" from the numbers; used for the colour of the quality dot.
export function rateQuality(summary) {
  if (!summary || summary.rttMs == null) return 'unknown';
  const loss = summary.lossPct ?? 0;
  if (summary.rttMs > 400 || loss > 8) return 'poor';
  if (summary.rttMs > 150 || loss > 2) return 'fair';
  return 'good';
}

// Totals that keep counting across a replacement, so they describe the participant, not one of
// its connections.
const CARRIED_COUNTERS = [
  'packetsReceived', 'packetsLost', 'bytesReceived', 'bytesSent', 'packetsSent', 'totalAudioEnergy', 'totalSamplesDuration',
];

// Adds `from`'s running totals to `into` (missing ones count as zero) and returns `into`.
export function addTotals(into, from) {
  for (const key of CARRIED_COUNTERS) into[key] = (into[key] ?? 0) + (from?.[key] ?? 0);
  return into;
}
