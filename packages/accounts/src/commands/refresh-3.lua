-- Extends a user's connections that one worker serves (its heartbeat, issue 21); an entry that
-- already lapsed stays gone (its player is counted again only by a new admit).
-- KEYS[1] the user's connections, KEYS[2] what each watches, KEYS[3] ended connections
-- ARGV[1] now ms, then pairs: ttl ms, connection id
-- Returns {missing, ended}: the ids not held, split into those ended on purpose (evicted, cut) and
-- the others (lapsed, or forgotten by a Redis that restarted empty).
local now = tonumber(ARGV[1])
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, id in ipairs(lapsed) do redis.call('HDEL', KEYS[2], id) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local longest = 0
local missing = {}
local ended = {}
for i = 2, #ARGV, 2 do
  local ttl = tonumber(ARGV[i])
  if redis.call('ZSCORE', KEYS[1], ARGV[i + 1]) then
    redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[i + 1])
    if ttl > longest then longest = ttl end
  elseif redis.call('ZSCORE', KEYS[3], ARGV[i + 1]) then
    ended[#ended + 1] = ARGV[i + 1]
  else
    missing[#missing + 1] = ARGV[i + 1]
  end
end
if longest > 0 then
  for _, key in ipairs({KEYS[1], KEYS[2]}) do
    if redis.call('PTTL', key) < longest then redis.call('PEXPIRE', key, longest) end
  end
end
return {missing, ended}
