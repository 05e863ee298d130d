-- Assigns GuideNumbers to the lineup's channels at once (the rules of MemoryGuideNumberStore).
-- KEYS[1] hash channel -> number; KEYS[2] zset number -> when retired (ms)
-- ARGV[1] now (ms); ARGV[2] retired hold (ms); ARGV[3..] pairs: channel, wanted number ('' = none)
-- Returns a flat list: channel, number, in the order asked.
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]))

local present, wantedByAny = {}, {}
for i = 3, #ARGV, 2 do
  present[ARGV[i]] = true
  if ARGV[i + 1] ~= '' then wantedByAny[ARGV[i + 1]] = true end
end

local numbers, holder = {}, {}
local stored = redis.call('HGETALL', KEYS[1])
for i = 1, #stored, 2 do
  local channel, number = stored[i], stored[i + 1]
  if present[channel] then
    numbers[channel] = number
    holder[number] = channel
  else
    redis.call('HDEL', KEYS[1], channel)
    redis.call('ZADD', KEYS[2], now, number)
  end
end

local retired = {}
local list = redis.call('ZRANGE', KEYS[2], 0, -1)
for i = 1, #list do retired[list[i]] = true end

-- Numbers the sources give win when free.
for i = 3, #ARGV, 2 do
  local channel, wanted = ARGV[i], ARGV[i + 1]
  local current = numbers[channel]
  if wanted ~= '' and current ~= wanted and not holder[wanted] then
    if current then
      holder[current] = nil
      retired[current] = true
      redis.call('ZADD', KEYS[2], now, current)
    end
    retired[wanted] = nil
    redis.call('ZREM', KEYS[2], wanted)
    numbers[channel] = wanted
    holder[wanted] = channel
    redis.call('HSET', KEYS[1], channel, wanted)
  end
end

-- The rest: the lowest free number; the cursor only climbs, as the used set only grows.
local next = 1
local result = {}
for i = 3, #ARGV, 2 do
  local channel = ARGV[i]
  if not numbers[channel] then
    while holder[tostring(next)] or wantedByAny[tostring(next)] or retired[tostring(next)] do next = next + 1 end
    local number = tostring(next)
    numbers[channel] = number
    holder[number] = channel
    redis.call('HSET', KEYS[1], channel, number)
  end
  result[#result + 1] = channel
  result[#result + 1] = numbers[channel]
end
return result
