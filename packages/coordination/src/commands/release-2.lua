-- Gives up ownership only if the caller still holds the fencing token (worker id + epoch).
-- KEYS[1] owner, KEYS[2] owner epoch; ARGV[1] worker id, ARGV[2] epoch
-- Returns 1 when released, 0 when someone else owns the stream now.
if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('GET', KEYS[2]) == ARGV[2] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
