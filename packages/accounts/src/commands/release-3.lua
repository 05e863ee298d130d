-- Ends one of a user's connections (issue 21): its slot and its channel are free at once.
-- KEYS[1] the user's connections, KEYS[2] what each watches, KEYS[3] ended connections
-- ARGV[1] connection id, ARGV[2] now ms, ARGV[3] ms to remember it as ended (0 = a player that left:
-- nothing to remember)
-- Returns 1 when it was held.
redis.call('HDEL', KEYS[2], ARGV[1])
local held = redis.call('ZREM', KEYS[1], ARGV[1])
local remember = tonumber(ARGV[3])
if remember > 0 then
  local now = tonumber(ARGV[2])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  redis.call('ZADD', KEYS[3], now + remember, ARGV[1])
  if redis.call('PTTL', KEYS[3]) < remember then redis.call('PEXPIRE', KEYS[3], remember) end
end
return held
