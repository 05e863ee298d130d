-- Extends the slots a worker's players hold at one client address (issue 20); a slot that already
-- expired stays gone (its player is counted again only by a new connect).
-- KEYS[1] the address's connections; ARGV[1] now ms, then pairs: ttl ms, player
-- Returns the number of slots extended.
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local longest = 0
local extended = 0
for i = 2, #ARGV, 2 do
  local ttl = tonumber(ARGV[i])
  extended = extended + redis.call('ZADD', KEYS[1], 'XX', 'CH', now + ttl, ARGV[i + 1])
  if ttl > longest then longest = ttl end
end
if extended > 0 and redis.call('PTTL', KEYS[1]) < longest then
  redis.call('PEXPIRE', KEYS[1], longest)
end
return extended
