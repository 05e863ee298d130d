// `pnpm test:players`: real media players driven end to end (Kodi under Xvfb), kept out of the
// default suite (Kodi is a large install, and a run takes about half a minute).
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/apps/gateway/test/players/**/*.players.ts'],
  testTimeout: 5 * 60_000,
};
