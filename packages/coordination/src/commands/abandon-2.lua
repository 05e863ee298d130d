-- Gives up a claim whose start failed and forgets its epoch, so a refused start leaves no key:
-- only while the caller's token is the last one (the owner key is the caller's, or expired with
-- nobody claiming since), so a worker that owns the stream now keeps a monotonic epoch.
-- KEYS[1] owner, KEYS[2] owner epoch; ARGV[1] worker id, ARGV[2] epoch
-- Returns 1 when both keys are gone, 0 when another worker owns the stream or claimed it since.
local owner = redis.call('GET', KEYS[1])
if (owner and owner ~= ARGV[1]) or redis.call('GET', KEYS[2]) ~= ARGV[2] then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
