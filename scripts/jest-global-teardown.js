// Jest's globalTeardown: stops the run's shared Redis Cluster (see jest-global-setup.js).
export default async function globalTeardown() {
  await globalThis.sharedTestCluster?.stop();
}
