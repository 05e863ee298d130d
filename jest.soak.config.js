// `pnpm test:soak`: the long runs kept out of the default suite (see docs/reliability.md).
import base from './jest.config.js';

// The default suite's short versions, at the full size.
process.env.CHURN_SECONDS ??= '120';
process.env.CHURN_CONNECTIONS ??= '5000';
process.env.CHURN_CHANNELS ??= '100';
process.env.OUTAGE_S ??= '30';
// Network faults (docs/reliability.md): Redis restarted empty 20 times per outage length, the
// issue's 200 players with a 5% loss run added, and a link flapping for 30 minutes.
process.env.RESTART_REPEAT ??= '20';
process.env.NET_PLAYERS ??= '200';
process.env.NET_WINDOW_S ??= '30';
process.env.NET_EXTRA_LOSS ??= '0.05';

export default {
  ...base,
  testMatch: [
    '<rootDir>/apps/gateway/soak/**/*.soak.ts',
    '<rootDir>/apps/gateway/test/e2e/churn.test.ts',
    '<rootDir>/apps/gateway/test/e2e/redis-outage.test.ts',
    '<rootDir>/apps/gateway/test/e2e/net-latency.test.ts',
  ],
  testTimeout: 40 * 60_000,
};
