-- Extends leases in a sorted set (member -> when its lease lapses, ms): a worker's heartbeat for
-- what it holds, the one implementation behind per-address slots (the gateway's limits, issue 20)
-- and per-user connections (packages/accounts, issue 21). A lease that already lapsed or was ended
-- (an eviction, a release) stays gone: its holder is counted again only when it is admitted anew.
-- KEYS[1] the lease set; KEYS[2..] hashes keyed by member that go with it (their lapsed members' fields are dropped)
-- ARGV[1] now ms, then pairs: ttl ms, member
-- Every key's expiry is pushed out to the longest lease when it is shorter.
-- Returns the members that were not held (lapsed, ended): they stay gone.
local now = tonumber(ARGV[1])
if #KEYS > 1 then
  local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
  for _, member in ipairs(lapsed) do
    for k = 2, #KEYS do redis.call('HDEL', KEYS[k], member) end
  end
end
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
