-- Removes one user (issue 21) and its token from the index, and raises the users' version.
-- KEYS[1] users hash, KEYS[2] token index hash, KEYS[3] version; ARGV[1] name
-- Returns 1 when a user was removed, 0 when there was none.
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
local hash = cjson.decode(current).tokenHash
if redis.call('HGET', KEYS[2], hash) == ARGV[1] then redis.call('HDEL', KEYS[2], hash) end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('INCR', KEYS[3])
return 1
