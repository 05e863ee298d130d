-- Forgets a stopped stream's owner epoch, unless a worker already owns the stream again: a new
-- owner that claimed it between the release and this call keeps its fencing token.
-- KEYS[1] owner, KEYS[2] owner epoch
-- Returns 1 when the epoch was deleted, 0 when the stream has an owner.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('DEL', KEYS[2])
return 1
