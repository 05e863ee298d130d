-- Extends leases in a sorted set (member -> when its lease lapses, ms): a worker's heartbeat for
-- what it holds, the one implementation behind per-address slots (the gateway's limits, issue 20)
-- and per-user connections (packages/accounts, issue 21). A lease that already lapsed or was ended
-- stays gone: its holder is counted again only when it is admitted anew.
-- KEYS[1] the lease set; KEYS[2 .. 1+H] hashes keyed by member that go with it (their lapsed
-- members' fields are dropped); KEYS[2+H], when given, a sorted set of members ended on purpose.
-- ARGV[1] now ms, ARGV[2] H, then pairs: ttl ms, member
-- The lease set's and the hashes' expiry is pushed out to the longest lease when it is shorter.
-- Returns {missing, ended}: the members not held, split into those in the ended set and the others
-- (lapsed, or forgotten by a Redis that restarted empty).
local now = tonumber(ARGV[1])
local hashes = tonumber(ARGV[2])
local endedSet = KEYS[2 + hashes]
if hashes > 0 then
  local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
  for _, member in ipairs(lapsed) do
    for k = 2, 1 + hashes do redis.call('HDEL', KEYS[k], member) end
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local longest = 0
local missing = {}
local ended = {}
for i = 3, #ARGV, 2 do
  local ttl = tonumber(ARGV[i])
  local member = ARGV[i + 1]
  if redis.call('ZSCORE', KEYS[1], member) then
    redis.call('ZADD', KEYS[1], 'XX', now + ttl, member)
    if ttl > longest then longest = ttl end
  elseif endedSet and redis.call('ZSCORE', endedSet, member) then
    ended[#ended + 1] = member
  else
    missing[#missing + 1] = member
  end
end
if longest > 0 then
  for k = 1, 1 + hashes do
    if redis.call('PTTL', KEYS[k]) < longest then redis.call('PEXPIRE', KEYS[k], longest) end
  end
end
return {missing, ended}
