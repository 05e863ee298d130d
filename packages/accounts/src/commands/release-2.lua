-- Ends one of a user's connections (issue 21): its slot and its channel are free at once.
-- KEYS[1] the user's connections, KEYS[2] what each watches; ARGV[1] connection id
-- Returns 1 when it was held.
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('ZREM', KEYS[1], ARGV[1])
