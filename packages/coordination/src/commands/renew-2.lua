-- Extends ownership only for the exact holder of the fencing token (worker id + epoch).
-- KEYS[1] owner, KEYS[2] owner epoch; ARGV[1] worker id, ARGV[2] epoch, ARGV[3] ttl ms
-- Returns the integer 1 when renewed; else who holds the owner key now (a worker id, as a
-- string) or nil when nobody does, so a refused owner needs no second round trip to ask.
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] and redis.call('GET', KEYS[2]) == ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return owner
