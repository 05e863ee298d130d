-- Extends ownership only for the exact holder of the fencing token (worker id + epoch).
-- KEYS[1] owner, KEYS[2] owner epoch; ARGV[1] worker id, ARGV[2] epoch, ARGV[3] ttl ms
-- Returns 1 when renewed, 0 when the token is no longer valid.
if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('GET', KEYS[2]) == ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
