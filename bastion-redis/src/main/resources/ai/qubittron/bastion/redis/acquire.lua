-- One rate-limit decision, atomic: Redis runs a script alone.
-- KEYS[1]  the key's window state, a hash {w = window (epoch minute), r = requests, t = tokens}
-- ARGV[1]  now in epoch milliseconds, or -1 to take Redis's own clock (the same for every node)
-- ARGV[2]  requests per minute; ARGV[3] tokens per minute; ARGV[4] tokens asked for
-- Returns {allowed (1/0), requests used, tokens used, window, now}, the counts after the decision.
local now = tonumber(ARGV[1])
if now < 0 then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local window = math.floor(now / 60000)
local rpm = tonumber(ARGV[2])
local tpm = tonumber(ARGV[3])
local tokens = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'w', 'r', 't')
local requests = 0
local used = 0
local stored = tonumber(state[1])
-- a window newer than this clock's reading: a node whose clock runs ahead began it; count in it
if stored ~= nil and stored >= window then
  window = stored
  requests = tonumber(state[2])
  used = tonumber(state[3])
end
if requests >= rpm or tokens > tpm - used then
  return {0, requests, used, window, now}
end
requests = requests + 1
used = used + tokens
redis.call('HSET', KEYS[1], 'w', window, 'r', requests, 't', used)
-- the state outlives its window by a minute, then goes (relative to the caller's clock, whichever it is)
redis.call('PEXPIRE', KEYS[1], (window + 2) * 60000 - now)
return {1, requests, used, window, now}
