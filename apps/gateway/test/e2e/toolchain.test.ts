// The root build runs through turbo with caching: once built (the test command builds first), a
// second build has nothing to do — every package's build is a cache hit.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '@acestream-proxy/test-utils';
import { describe, expect, it } from '@jest/globals';

interface DryRun {
  tasks: Array<{ taskId: string; cache: { status: 'HIT' | 'MISS' } }>;
}

describe('turbo', () => {
  it('has every package build cached after `pnpm build`, so a second build does no work', () => {
    // --dry only plans: nothing is written while other tests run the built apps.
    const out = execFileSync(join(REPO_ROOT, 'node_modules/.bin/turbo'), ['run', 'build', '--dry=json'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    const { tasks } = JSON.parse(out) as DryRun;
    expect(tasks.length).toBeGreaterThanOrEqual(13);
    expect(tasks.filter((t) => t.cache.status !== 'HIT').map((t) => t.taskId)).toEqual([]);
  });
});
