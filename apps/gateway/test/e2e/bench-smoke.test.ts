// Keeps `pnpm bench` working: a tiny run of two scenarios through the real harness.

import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@acestream-proxy/test-utils';
import { describe, expect, it } from '@jest/globals';

const run = promisify(execFile);

describe('pnpm bench (smoke run)', () => {
  it('runs join and failover with tiny sizes and writes a results file with sane figures', async () => {
    const { stdout } = await run(process.execPath, ['scripts/bench/index.mjs', '--quick', '--scenarios', 'join,failover'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '' },
      timeout: 120_000,
    });
    const file = /written (bench\/results\/\S+\.json)/.exec(stdout)?.[1];
    expect(file).toBeDefined();
    const report = JSON.parse(readFileSync(join(REPO_ROOT, file!), 'utf8')) as {
      results: Array<Record<string, number | string>>;
    };
    rmSync(join(REPO_ROOT, file!));
    const join_ = report.results.find((r) => r.scenario === 'join')!;
    expect(join_.answered).toBe(join_.joins);
    expect(join_.loss).toBe(0);
    const failover = report.results.find((r) => r.scenario === 'failover')!;
    expect(failover.disconnected_on_other_workers).toBe(0);
    expect(failover.engine_sessions_active).toBe(1);
    expect(Number(failover.gap_max_ms)).toBeLessThan(5000);
  }, 150_000);
});
