// `pnpm test:soak`: the long runs kept out of the default suite (see docs/reliability.md).
import base from './jest.config.js';

// The default suite's short versions, at the full size.
process.env.CHURN_SECONDS ??= '120';
process.env.CHURN_CONNECTIONS ??= '5000';
process.env.CHURN_CHANNELS ??= '100';
process.env.OUTAGE_S ??= '30';

export default {
  ...base,
  testMatch: [
    '<rootDir>/apps/gateway/soak/**/*.soak.ts',
    '<rootDir>/apps/gateway/test/e2e/churn.test.ts',
    '<rootDir>/apps/gateway/test/e2e/redis-outage.test.ts',
  ],
  testTimeout: 20 * 60_000,
};
