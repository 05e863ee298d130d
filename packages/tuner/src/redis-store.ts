// GuideNumbers and the DeviceID in Redis: durable state every worker and host agrees on (DESIGN §19).

import type { Keys } from '@acestream-proxy/keys';
import { defineScripts, type Redis } from '@acestream-proxy/redis';
import { type GuideNumberStore, type NumberRequest, RETIRED_HOLD_MS } from './guide-numbers.js';

const COMMANDS = new URL('../src/commands/', import.meta.url);

type AssignCommand = (numbers: string, retired: string, ...args: string[]) => Promise<string[]>;

/**
 * One Lua call assigns the whole lineup, so two workers refreshing at once cannot hand one
 * number to two channels. The keys have no expiry: a restart of the buffer Redis must not
 * renumber a media server's channels (point REDIS_STATE_URL at a persistent Redis).
 */
export class RedisGuideNumberStore implements GuideNumberStore {
  private readonly assignCommand: AssignCommand;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {
    this.assignCommand = defineScripts<{ aceAssignGuideNumbers: AssignCommand }>(redis, COMMANDS, {
      aceAssignGuideNumbers: 'assign-guide-numbers-2',
    }).aceAssignGuideNumbers;
  }

  async assign(requests: readonly NumberRequest[], now: number): Promise<Map<string, string>> {
    const args = requests.flatMap((r) => [r.channel, r.wanted ?? '']);
    const flat = await this.assignCommand(
      this.keys.guideNumbers(),
      this.keys.guideNumbersRetired(),
      String(now),
      String(RETIRED_HOLD_MS),
      ...args,
    );
    const numbers = new Map<string, string>();
    for (let i = 0; i < flat.length; i += 2) numbers.set(flat[i]!, flat[i + 1]!);
    return numbers;
  }

  async deviceId(candidate: string): Promise<string> {
    const key = this.keys.tunerDeviceId();
    await this.redis.set(key, candidate, 'NX');
    return (await this.redis.get(key)) ?? candidate;
  }
}
