-- Takes a stream over from a worker known to be dead (or from nobody), with a new epoch.
-- KEYS[1] owner, KEYS[2] owner epoch; ARGV[1] new worker id, ARGV[2] ttl ms, ARGV[3] dead worker id
-- Returns the new epoch, or 0 when a live worker other than ARGV[3] owns the stream.
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[3] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('INCR', KEYS[2])
