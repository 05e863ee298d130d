// Users contract (store, management, token auth, revocation, USERS_FILE seeding) over memory, one Redis and a Redis Cluster.

import {
  Authenticator,
  type Holder,
  hashToken,
  MemoryUserStore,
  newToken,
  parseUsersFile,
  RedisUserStore,
  type RevocationReason,
  seedUsers,
  UnauthorizedError,
  UserExistsError,
  UserInputError,
  UserNotFoundError,
  type UserStore,
  Users,
  watchRevocations,
} from '@acestream-proxy/accounts';
import { backendSuite, waitFor } from '@acestream-proxy/test-utils';
import { afterEach, beforeAll, expect, it } from '@jest/globals';

backendSuite('Users', (backend) => {
  let stores: UserStore[];
  let store: UserStore;
  let users: Users;
  let auth: Authenticator;
  beforeAll(async () => {
    stores =
      backend.kind === 'memory'
        ? [new MemoryUserStore()]
        : await Promise.all([0, 1].map(async () => new RedisUserStore(await backend.connect(), backend.keys)));
    store = stores[0]!;
    users = new Users(store);
    auth = new Authenticator(stores[stores.length - 1]!);
  });
  afterEach(async () => {
    for (const user of await store.list()) await store.delete(user.name);
    expect(await store.list()).toEqual([]);
    if (backend.kind !== 'memory') expect((await backend.leftovers()).filter((k) => !k.endsWith(':users:version'))).toEqual([]);
  });
  const watch = (url: string) => ({ url, headers: {} });

  it('creates a user whose token works once shown, and lists users without any token or hash', async () => {
    const { user, token } = await users.create({ name: 'alice', limits: { channels: 2, connections: 4, policy: 'oldest' } });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(user).toMatchObject({
      name: 'alice',
      enabled: true,
      expiresAt: null,
      limits: { channels: 2, connections: 4, policy: 'oldest' },
    });
    const seen = await auth.authenticate(watch(`/u/${token}/ace/getstream?id=x`));
    expect(seen.user.name).toBe('alice');
    expect(seen.url).toBe('/ace/getstream?id=x');
    const listed = JSON.stringify(await users.list());
    expect(listed).not.toContain(token);
    expect(listed).not.toContain(hashToken(token));
    await expect(users.create({ name: 'alice' })).rejects.toBeInstanceOf(UserExistsError);
    await expect(users.create({ name: 'Alice!' })).rejects.toBeInstanceOf(UserInputError);
    await expect(users.create({ name: 'bob', token: 'x' })).rejects.toThrow(/unknown field "token"/);
  });

  it('refuses disabled and expired users, and a rotated token at once, with one 401 error for all', async () => {
    let now = 1_000;
    const clocked = new Authenticator(store, () => now);
    const { token } = await users.create({ name: 'alice', expires_at: 5_000 });
    const url = `/u/${token}/playlist.m3u`;
    expect((await clocked.authenticate(watch(url))).user.name).toBe('alice');
    now = 5_000;
    await expect(clocked.authenticate(watch(url))).rejects.toBeInstanceOf(UnauthorizedError);
    await users.change('alice', { expires_at: null, enabled: false });
    await expect(clocked.authenticate(watch(url))).rejects.toBeInstanceOf(UnauthorizedError);
    await users.change('alice', { enabled: true });
    const rotated = await users.rotate('alice');
    await expect(clocked.authenticate(watch(url))).rejects.toBeInstanceOf(UnauthorizedError);
    expect((await clocked.authenticate(watch(`/u/${rotated.token}/playlist.m3u`))).user.name).toBe('alice');
    await users.remove('alice');
    await expect(clocked.authenticate(watch(`/u/${rotated.token}/playlist.m3u`))).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(users.remove('alice')).rejects.toBeInstanceOf(UserNotFoundError);
  });

  it('keeps both of two admins changing one user at once (compare-and-set, no lost write)', async () => {
    await users.create({ name: 'alice' });
    const other = new Users(stores[stores.length - 1]!);
    await Promise.all([users.change('alice', { limits: { channels: 3 } }), other.change('alice', { groups: ['kids'] })]);
    expect(await users.get('alice')).toMatchObject({ limits: { channels: 3 }, groups: ['kids'] });
  });

  it('disconnects a user: its players admitted until then are cut, later ones and other users keep watching', async () => {
    const alice = await users.create({ name: 'alice' });
    const bob = await users.create({ name: 'bob' });
    const before = { user: 'alice', tokenHash: hashToken(alice.token), since: Date.now() - 1 };
    const other = { user: 'bob', tokenHash: hashToken(bob.token), since: before.since };
    const cut: Array<[string, RevocationReason]> = [];
    const revocations = watchRevocations(store, { live: () => [before, other], onRevoked: (h, r) => cut.push([h.user, r]) });
    try {
      await users.disconnect('alice');
      const after = { user: 'alice', tokenHash: hashToken(alice.token), since: Date.now() + 1 };
      const later = watchRevocations(store, {
        live: () => [after],
        onRevoked: (h, r) => cut.push([h.user, `later ${r}` as RevocationReason]),
      });
      await Promise.all([revocations.check(), later.check()]);
      later.stop();
      expect(cut).toEqual([['alice', 'disconnected']]);
      expect(JSON.stringify(await users.list())).not.toContain('cutAt');
    } finally {
      revocations.stop();
    }
  });

  it('cuts the players of a rotated, disabled or deleted user within one check, and only theirs', async () => {
    const alice = await users.create({ name: 'alice' });
    const bob = await users.create({ name: 'bob' });
    const carol = await users.create({ name: 'carol' });
    const live = new Set<Holder>(
      [alice, bob, carol].map(({ user, token }) => ({ user: user.name, tokenHash: hashToken(token) })),
    );
    const cut: Array<[string, RevocationReason]> = [];
    const revocations = watchRevocations(stores[stores.length - 1]!, {
      live: () => live,
      onRevoked: (holder, reason) => {
        cut.push([holder.user, reason]);
        live.delete(holder);
      },
      intervalMs: 100,
    });
    try {
      await revocations.check();
      expect(cut).toEqual([]);
      await users.rotate('alice');
      await users.change('bob', { enabled: false });
      await users.remove('carol');
      await waitFor(() => cut.length === 3, { what: 'three revoked players cut by the timer', timeoutMs: 3000 });
      expect(cut.sort()).toEqual([
        ['alice', 'rotated'],
        ['bob', 'disabled'],
        ['carol', 'deleted'],
      ]);
    } finally {
      revocations.stop();
    }
  });

  it("seeds USERS_FILE's users, the file winning at start, and only re-makes missing ones while running", async () => {
    const plain = newToken();
    const file = parseUsersFile(`users:
  - name: alice
    token: ${plain}
    limits: { channels: 2 }
  - name: kitchen
    token_sha256: ${hashToken('x'.repeat(43))}
    expires_at: 2030-01-01T00:00:00Z
`);
    expect(await seedUsers(store, file, { overwrite: true })).toEqual({
      created: ['alice', 'kitchen'],
      updated: [],
      removed: [],
      refused: [],
    });
    expect(await users.get('kitchen')).toMatchObject({ source: 'file', expiresAt: Date.parse('2030-01-01T00:00:00Z') });
    expect((await auth.authenticate(watch(`/u/${plain}/playlist.m3u`))).user.name).toBe('alice');
    // An admin change lasts while running; a lost user comes back; the next start restores the file's word.
    await users.change('alice', { limits: { channels: 5 } });
    await store.delete('kitchen');
    expect(await seedUsers(store, file, { overwrite: false })).toEqual({
      created: ['kitchen'],
      updated: [],
      removed: [],
      refused: [],
    });
    expect((await users.get('alice')).limits.channels).toBe(5);
    const shorter = file.slice(0, 1);
    expect(await seedUsers(store, shorter, { overwrite: true })).toEqual({
      created: [],
      updated: ['alice'],
      removed: ['kitchen'],
      refused: [],
    });
    expect((await users.get('alice')).limits.channels).toBe(2);
  });

  it("reports a USERS_FILE user whose token is another user's as refused, at start and while running, instead of skipping it silently", async () => {
    const { token } = await users.create({ name: 'bob' });
    const file = parseUsersFile(`users:\n  - name: alice\n    token: ${token}\n  - name: kitchen\n    token: ${newToken()}\n`);
    expect(await seedUsers(store, file, { overwrite: true })).toEqual({
      created: ['kitchen'],
      updated: [],
      removed: [],
      refused: ['alice'],
    });
    expect(await store.get('alice')).toBeNull();
    expect((await seedUsers(store, file, { overwrite: false })).refused).toEqual(['alice']);
  });

  it('does not count a user another worker seeded the same a moment before as refused', async () => {
    const file = parseUsersFile(`users:\n  - name: alice\n    token: ${newToken()}\n`);
    // Both workers list the store before either writes: the second one's put is refused.
    const [first, second] = await Promise.all([
      seedUsers(store, file, { overwrite: true }),
      seedUsers(store, file, { overwrite: true }),
    ]);
    expect([...first.created, ...second.created]).toEqual(['alice']);
    expect([...first.refused, ...second.refused]).toEqual([]);
  });
});
