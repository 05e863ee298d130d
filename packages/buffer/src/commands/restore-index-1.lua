-- Raises a stream's buffer index to ARGV[1] when it is lower (or missing): after Redis lost it,
-- the owner puts back the index the workers already follow, so appends keep increasing it.
-- KEYS[1] buffer index; ARGV[1] index
-- Returns the index now stored.
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local wanted = tonumber(ARGV[1])
if last < wanted then
  redis.call('SET', KEYS[1], ARGV[1])
  return wanted
end
return last
