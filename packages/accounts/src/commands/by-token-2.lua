-- Looks a user up by token hash in one round trip (issue 21).
-- KEYS[1] users hash, KEYS[2] token index hash; ARGV[1] token hash
-- Returns the user's record JSON, or false.
local name = redis.call('HGET', KEYS[2], ARGV[1])
if not name then return false end
return redis.call('HGET', KEYS[1], name)
