-- Writes one user (issue 21) if its generation is the one the caller read, keeping the token index
-- in step, and raises the users' version so every worker sees the change.
-- KEYS[1] users hash, KEYS[2] token index hash, KEYS[3] version
-- ARGV[1] name, ARGV[2] expected generation ('' = no user yet), ARGV[3] record JSON (with the new
-- generation), ARGV[4] its token hash
-- Returns 1 when written, 0 when the generation moved on or the token hash is another user's.
local current = redis.call('HGET', KEYS[1], ARGV[1])
local generation = ''
local oldHash = nil
if current then
  local record = cjson.decode(current)
  generation = tostring(record.generation)
  oldHash = record.tokenHash
end
if generation ~= ARGV[2] then return 0 end
local holder = redis.call('HGET', KEYS[2], ARGV[4])
if holder and holder ~= ARGV[1] then return 0 end
if oldHash and oldHash ~= ARGV[4] then redis.call('HDEL', KEYS[2], oldHash) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[4], ARGV[1])
redis.call('INCR', KEYS[3])
return 1
