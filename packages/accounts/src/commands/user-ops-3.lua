-- A user's admissions and releases (issue 21), in call order, each atomic: the check and the
-- registration are one step, so racing workers cannot together pass a limit. One call carries what
-- one worker asked for one user in one turn of its event loop (a kick-off's joins of a household:
-- one script run, not one per player).
-- KEYS[1] the user's connections (sorted set: connection id -> expiry ms)
-- KEYS[2] what each watches (hash: connection id -> '<admitted at ms>:<stream id>')
-- KEYS[3] connections ended to make room (sorted set: connection id -> until ms), so no worker takes one back
-- ARGV[1] now ms, then 7 arguments per operation:
--   'admit', connection id, stream id, ttl ms, channel limit, connection limit (0 = none), policy (refuse | oldest)
--   'release', connection id, '', ms to remember it as ended (0 = a player that left: nothing to remember), '', '', ''
-- Returns, per operation, the length of its answer then the answer:
--   admit: {1, evicted connection, its stream, ...} when admitted, {0, 'channels' | 'connections'} when refused
--   release: {1} when it was held, {0} when not
local now = tonumber(ARGV[1])

-- Entries of workers that stopped refreshing them lapse.
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, id in ipairs(lapsed) do redis.call('HDEL', KEYS[2], id) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)

-- Each key lives as long as its longest entry: set once, after the operations.
local longest = 0

local function admit(conn, stream, ttl, maxChannels, maxConnections, policy)
  local function hold()
    redis.call('ZADD', KEYS[1], now + ttl, conn)
    if ttl > longest then longest = ttl end
  end

  -- Already admitted: a refresh, never counted twice.
  if redis.call('ZSCORE', KEYS[1], conn) then
    hold()
    return {1}
  end

  -- No channel limit: the count of connections is all it takes (O(log n), not a read of every entry),
  -- so a user without limits, or with a connection limit it is under, costs what an anonymous join does.
  if maxChannels == 0 and (maxConnections == 0 or redis.call('ZCARD', KEYS[1]) + 1 <= maxConnections) then
    redis.call('HSET', KEYS[2], conn, now .. ':' .. stream)
    hold()
    return {1}
  end

  local live = {}
  local perStream = {}
  local channels = 0
  local raw = redis.call('HGETALL', KEYS[2])
  for i = 1, #raw, 2 do
    local at, s = string.match(raw[i + 1], '^(%d+):(.*)$')
    live[#live + 1] = { id = raw[i], at = tonumber(at), stream = s, gone = false }
    if not perStream[s] then
      perStream[s] = 0
      channels = channels + 1
    end
    perStream[s] = perStream[s] + 1
  end
  local connections = #live

  local function over()
    local after = channels
    if not perStream[stream] or perStream[stream] == 0 then after = after + 1 end
    if maxChannels > 0 and after > maxChannels then return 'channels' end
    if maxConnections > 0 and connections + 1 > maxConnections then return 'connections' end
    return nil
  end

  local limit = over()
  if limit and policy ~= 'oldest' then return {0, limit} end

  -- The oldest policy (mirrors evictions() in admission.ts): over the channel limit, end every
  -- connection of the channel watched longest other than the one being joined; over the connection
  -- limit, the oldest connection.
  table.sort(live, function(a, b)
    if a.at ~= b.at then return a.at < b.at end
    return a.id < b.id
  end)
  local result = {1}
  local function evict(entry)
    entry.gone = true
    connections = connections - 1
    perStream[entry.stream] = perStream[entry.stream] - 1
    if perStream[entry.stream] == 0 then channels = channels - 1 end
    redis.call('ZREM', KEYS[1], entry.id)
    redis.call('HDEL', KEYS[2], entry.id)
    redis.call('ZADD', KEYS[3], now + ttl, entry.id)
    result[#result + 1] = entry.id
    result[#result + 1] = entry.stream
  end
  while limit do
    local victim = nil
    for _, entry in ipairs(live) do
      if not entry.gone and (limit == 'connections' or entry.stream ~= stream) then
        victim = entry
        break
      end
    end
    if limit == 'channels' then
      for _, entry in ipairs(live) do
        if not entry.gone and entry.stream == victim.stream then evict(entry) end
      end
    else
      evict(victim)
    end
    limit = over()
  end

  redis.call('HSET', KEYS[2], conn, now .. ':' .. stream)
  hold()
  return result
end

local function release(conn, remember)
  redis.call('HDEL', KEYS[2], conn)
  local held = redis.call('ZREM', KEYS[1], conn)
  if remember > 0 then
    redis.call('ZADD', KEYS[3], now + remember, conn)
    if redis.call('PTTL', KEYS[3]) < remember then redis.call('PEXPIRE', KEYS[3], remember) end
  end
  return {held}
end

local out = {}
for i = 2, #ARGV, 7 do
  local answer
  if ARGV[i] == 'admit' then
    answer = admit(ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5]), ARGV[i + 6])
  else
    answer = release(ARGV[i + 1], tonumber(ARGV[i + 3]))
  end
  out[#out + 1] = #answer
  for _, value in ipairs(answer) do out[#out + 1] = value end
end

if longest > 0 then
  for _, key in ipairs(KEYS) do
    if redis.call('PTTL', key) < longest then redis.call('PEXPIRE', key, longest) end
  end
end
return out
