// Public surface of @acestream-proxy/ts: MPEG-TS primitives on the proxy's hot path.
export { TsAligner } from './aligner.js';
export { nullPacket, nullPackets } from './null-packet.js';
export {
  adaptationControl,
  continuityCounter,
  hasRandomAccess,
  NULL_PID,
  PAT_PID,
  packetPid,
  payloadOffset,
  payloadUnitStart,
  readPcr,
  readPts,
  SYNC_BYTE,
  TS_PACKET_SIZE,
} from './packet.js';
export { PsiTracker, withDiscontinuity } from './psi.js';
export { findRandomAccess } from './random-access.js';
