-- Reserves an engine slot for a stream about to start, atomically across workers and hosts: the
-- check (members + pending starts + streams other proxies run, against ENGINE_MAX_STREAMS) and
-- the reservation are one step, so simultaneous starts cannot all see the same free slot.
-- KEYS: per candidate engine, in order of preference, its streams set then its pending sorted set
--   (stream id -> expiry, ms); all under the {engine} hash tag, so one slot in a Redis Cluster.
-- ARGV[1] stream id, ARGV[2] max streams per engine, ARGV[3] reservation ttl ms, then per
--   candidate: the number n of streams the orchestrator lists on it, then their n keys.
-- Picks the least loaded candidate under the limit (the first on ties) and adds the stream to its
-- pending set, unless the stream already holds a slot there (a member or a reservation: a
-- takeover or a retry costs no new slot).
-- Returns { chosen candidate (1-based, 0 = none), load of each candidate }.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local id = ARGV[1]
local max = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local at = 4
local loads = {}
local chosen, chosenLoad, chosenHolds = 0, nil, false
for i = 1, #KEYS / 2 do
  local streams, pending = KEYS[2 * i - 1], KEYS[2 * i]
  -- Reservations of starts that never finished (a worker died): their slot is free again.
  redis.call('ZREMRANGEBYSCORE', pending, '-inf', now)
  local load = redis.call('SCARD', streams) + redis.call('ZCARD', pending)
  local n = tonumber(ARGV[at])
  at = at + 1
  for j = at, at + n - 1 do
    -- The orchestrator counts every proxy's streams, this cluster's too: count those once.
    if redis.call('SISMEMBER', streams, ARGV[j]) == 0 and not redis.call('ZSCORE', pending, ARGV[j]) then
      load = load + 1
    end
  end
  at = at + n
  local holds = redis.call('SISMEMBER', streams, id) == 1 or redis.call('ZSCORE', pending, id) ~= false
  local others = holds and load - 1 or load
  loads[i] = load
  if others < max and (chosenLoad == nil or others < chosenLoad) then
    chosen, chosenLoad, chosenHolds = i, others, holds
  end
end
if chosen > 0 and not (chosenHolds and redis.call('SISMEMBER', KEYS[2 * chosen - 1], id) == 1) then
  local pending = KEYS[2 * chosen]
  redis.call('ZADD', pending, now + ttl, id)
  if redis.call('PTTL', pending) < ttl then
    redis.call('PEXPIRE', pending, ttl)
  end
end
table.insert(loads, 1, chosen)
return loads
