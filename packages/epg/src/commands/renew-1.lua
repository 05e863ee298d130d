-- Extends the guide refresh lock only when the caller still holds it (compare and expire).
-- KEYS[1] lock key; ARGV[1] the caller's token; ARGV[2] new lifetime, ms. Returns 1 when extended.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
