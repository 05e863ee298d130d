-- Counts one wrong API key from an address. KEYS[1]: its failure counter.
-- ARGV[1]: window, ms (counted from the first failure); ARGV[2]: failures that block; ARGV[3]: block, ms.
-- Returns the milliseconds the address must now wait (0: it is not blocked).
local failures = redis.call('INCR', KEYS[1])
if failures == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if failures < tonumber(ARGV[2]) then return 0 end
-- The block runs from the failure that reached the limit.
if failures == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return math.max(redis.call('PTTL', KEYS[1]), 1)
