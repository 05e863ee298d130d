-- Releases the guide refresh lock only when the caller still holds it (compare and delete).
-- KEYS[1] lock key; ARGV[1] the caller's token. Returns 1 when released.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
