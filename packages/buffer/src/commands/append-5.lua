-- Appends chunk ARGV[1] to a stream's buffer and announces it, if the caller still owns the stream;
-- and deletes the chunk that has just left the buffer's time window (KEYS[5]), rather than
-- leaving it to Redis' lazy expiry.
-- KEYS[1] buffer index, KEYS[2] chunk key for index ARGV[1], KEYS[3] owner, KEYS[4] owner epoch,
-- KEYS[5] chunk to delete (the same as KEYS[2] when there is none)
-- ARGV[1] index, ARGV[2] chunk bytes, ARGV[3] ttl seconds, ARGV[4] chunks channel,
-- ARGV[5] owner worker id ('' = unfenced, embedded use), ARGV[6] owner epoch,
-- ARGV[7] PUBLISH, or SPUBLISH on a Redis Cluster (the channel shares the keys' hash tag, so the
-- sharded message stays on this shard)
-- Returns the index on success, -1 when fenced (another owner), -2 when the index is not next.
if ARGV[5] ~= '' then
  if redis.call('GET', KEYS[3]) ~= ARGV[5] or redis.call('GET', KEYS[4]) ~= ARGV[6] then
    return -1
  end
end
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if last + 1 ~= tonumber(ARGV[1]) then
  return -2
end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
redis.call('SET', KEYS[1], ARGV[1])
if KEYS[5] ~= KEYS[2] then
  redis.call('UNLINK', KEYS[5])
end
redis.call(ARGV[7], ARGV[4], ARGV[1])
return tonumber(ARGV[1])
