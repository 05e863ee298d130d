-- Counts a new engine session against a client address's limit per window (issue 20). The set's
-- members are the starts within the window, scored by when each happened (a sliding window: no
-- burst at a minute's boundary).
-- KEYS[1] the address's starts; ARGV[1] start id (unique), ARGV[2] limit, ARGV[3] now ms, ARGV[4] window ms
-- Returns 0 when counted, else the ms until the oldest start leaves the window (when to retry).
local now = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, math.ceil(tonumber(oldest[2]) + window - now))
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], window)
return 0
