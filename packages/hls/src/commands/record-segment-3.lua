-- Records one HLS segment of a stream, if the caller still owns the stream; keeps the newest ARGV[2].
-- KEYS[1] the stream's segment list, KEYS[2] owner, KEYS[3] owner epoch
-- ARGV[1] encoded segment, ARGV[2] records to keep, ARGV[3] ttl seconds of the list,
-- ARGV[4] owner worker id ('' = unfenced, embedded use), ARGV[5] owner epoch
-- Returns the list length, or -1 when fenced.
if ARGV[4] ~= '' then
  if redis.call('GET', KEYS[2]) ~= ARGV[4] or redis.call('GET', KEYS[3]) ~= ARGV[5] then
    return -1
  end
end
local length = redis.call('RPUSH', KEYS[1], ARGV[1])
if length > tonumber(ARGV[2]) then
  redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
  length = tonumber(ARGV[2])
end
-- The records describe chunks, which live this long: a list whose owner died goes with them.
redis.call('EXPIRE', KEYS[1], ARGV[3])
return length
