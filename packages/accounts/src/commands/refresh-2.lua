-- Extends a user's connections that one worker serves (its heartbeat, issue 21); an entry that
-- already lapsed stays gone (its player is counted again only by a new admit).
-- KEYS[1] the user's connections, KEYS[2] what each watches; ARGV[1] now ms, then pairs: ttl ms, connection id
-- Returns the connection ids that were not held (lapsed, evicted or released): they stay gone.
local now = tonumber(ARGV[1])
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, id in ipairs(lapsed) do redis.call('HDEL', KEYS[2], id) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local longest = 0
local missing = {}
for i = 2, #ARGV, 2 do
  local ttl = tonumber(ARGV[i])
  if redis.call('ZSCORE', KEYS[1], ARGV[i + 1]) then
    redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[i + 1])
    if ttl > longest then longest = ttl end
  else
    missing[#missing + 1] = ARGV[i + 1]
  end
end
if longest > 0 then
  for _, key in ipairs(KEYS) do
    if redis.call('PTTL', key) < longest then redis.call('PEXPIRE', key, longest) end
  end
end
return missing
