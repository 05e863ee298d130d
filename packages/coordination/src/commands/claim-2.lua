-- Claims a stream's ownership if nobody holds it; every successful claim gets a new epoch.
-- KEYS[1] owner, KEYS[2] owner epoch; ARGV[1] worker id, ARGV[2] ttl ms
-- Returns the new epoch, or 0 when another worker owns the stream.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0
