// Public surface of @acestream-proxy/test-utils: what tests need to drive real parts.
export {
  BACKENDS,
  type Backend,
  type BackendKind,
  type BackendSuiteOptions,
  backendSuite,
} from './backend-suite.js';
export { type Capture, capture, getJson } from './capture.js';
export { type Haproxy, type HaproxyBackend, haproxyConfig, startHaproxy } from './haproxy.js';
export { completeFrames, decodeErrors, ffprobe, makeSampleTs, type ProbeResult, tempDir, VLC_USER, vlcRecord } from './media.js';
export { type LabCluster, type LabClusterNode, startLabCluster } from './net/cluster.js';
export { netLabUnavailable } from './net/commands.js';
export type { DelaySpec } from './net/delay-line.js';
export type { Direction, Fault } from './net/faults.js';
export { LabHost } from './net/host.js';
export { NetLab, netLab, teardownLabs, withNetLab } from './net/lab.js';
export { sweepDeadLabs } from './net/names.js';
export { RELAY, type Relay } from './net/relay.js';
export { type LabStack, type LabStackOptions, labStack } from './net/stack.js';
export { type TimedPlayer, timedPlayer } from './player.js';
export {
  type Portal,
  type ProcessHost,
  REPO_ROOT,
  type StartedProcess,
  type StartOptions,
  startNodeProcess,
} from './process.js';
export { TEST_REDIS_URL, type TestRedis, testRedis } from './redis.js';
export {
  type ClusterAddress,
  type ClusterNode,
  type ClusterOptions,
  keySlot,
  type SharedCluster,
  sharedCluster,
  startRedisCluster,
  startSharedCluster,
  type TestCluster,
} from './redis-cluster.js';
export { freePort, type PrivateRedis, startPrivateRedis } from './redis-server.js';
export {
  ENGINE_SIM,
  type Env,
  GATEWAY,
  GATEWAY_TEST_ENV,
  type GatewayOptions,
  ORCHESTRATOR_SIM,
  type RedisKind,
  type SimRequest,
  type SimSessions,
  type Stack,
  type StackOptions,
  setFault,
  simRequests,
  simSessions,
  startGateway,
  startSim,
  startStack,
  stopAll,
} from './stack.js';
export { type WaitOptions, waitFor, waitForSteady } from './wait.js';
export { validateXmltv, writeXmltvGuide } from './xmltv.js';
