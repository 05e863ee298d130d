// Jest's globalSetup: one Redis Cluster for the whole run, shared by the files' backend suites
// (see startSharedCluster in packages/test-utils). Its nodes start now and join in the background.
import { startSharedCluster } from '../packages/test-utils/dist/redis-cluster.js';

export default async function globalSetup() {
  globalThis.sharedTestCluster = await startSharedCluster();
}
