-- Holds one of a client address's connection slots (issue 20). The set's members are the players
-- (TS client ids, HLS session ids), scored by when each expires: the slots of a worker that died
-- free themselves, and a player that is already in the set is refreshed, never counted twice.
-- KEYS[1] the address's connections; ARGV[1] player, ARGV[2] limit (0 = none), ARGV[3] now ms, ARGV[4] ttl ms
-- Returns 1 when the player holds a slot, 0 when the address is at its limit.
local now = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local limit = tonumber(ARGV[2])
if limit > 0 and not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= limit then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
-- The key lives as long as its longest entry (players of both kinds share it).
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1
