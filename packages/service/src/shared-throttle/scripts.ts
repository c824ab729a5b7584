// The Lua scripts of the gate shared through Redis: each admission, release and lease renewal is
// one round trip and atomic, so workers on many machines see one account's slots, limit, pause
// and pace as if they were one process. Time is Redis's own (TIME), never a worker's clock: the
// machines' clocks may disagree, Redis's is the one all of them share.
//
// Keys (both carry the same {hash tag}, so they live in one Redis Cluster slot):
//   KEYS[1] slots  sorted set: member = one admitted request, score = its lease's end (ms).
//                  A worker renews the leases of what it holds; a dead worker's run out and
//                  are removed by the next admission, so its slots come back.
//   KEYS[2] state  hash: limit, ceiling, ceilingAt, validated, throttled (any concurrency/unknown
//                  throttle seen), epoch, lastCut, resumeAt, rate, rateSetAt, lastRefusalAt,
//                  lastProbeAt, tat (GCRA theoretical arrival time of the pace), admitted and
//                  refused (counters: their difference is what the server took from the budget), anchorAt/anchorServed and prevAt/prevServed (two refusal
//                  points: when the budget held a request again, and served then).
// A key that is missing (a new account, Redis restarted without its data) reads as the defaults:
// state is re-created by the next script, never required.

/** Shared prelude: now (ms, Redis time) and the state with the ceiling decayed to now. */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local max = tonumber(ARGV[1])
local initial = tonumber(ARGV[2])
local ceilingDecayMs = tonumber(ARGV[3])
local stateTtl = tonumber(ARGV[4])
local s = redis.call('HMGET', KEYS[2], 'limit', 'ceiling', 'ceilingAt', 'validated', 'throttled',
  'epoch', 'lastCut', 'resumeAt', 'rate', 'rateSetAt', 'lastRefusalAt', 'lastProbeAt', 'tat')
local limit = tonumber(s[1]) or initial
local learnt = tonumber(s[2]) or max
local ceilingAt = tonumber(s[3]) or 0
local ceiling = max
if learnt < max then ceiling = math.min(max, learnt + math.floor((now - ceilingAt) / ceilingDecayMs)) end
if limit > max then limit = max end
local validated = tonumber(s[4]) or 0
local throttled = tonumber(s[5]) or 0
local epoch = tonumber(s[6]) or 0
local lastCut = tonumber(s[7]) or 0
local resumeAt = tonumber(s[8]) or 0
local rate = tonumber(s[9])
local rateSetAt = tonumber(s[10]) or 0
local lastRefusalAt = tonumber(s[11]) or 0
local lastProbeAt = tonumber(s[12]) or 0
local tat = tonumber(s[13]) or 0
`;

/**
 * Admission. ARGV: max, initial, ceilingDecayMs, stateTtlMs, member, leaseMs, burst, probeMs,
 * probeStep, forgetMs. Returns {granted (1/0), waitMs (-1: full, wait for a release), inFlight
 * before this one, limit*1000, ceiling, resumeAt - now, rate*1000 (0: not pacing), epoch, now, admission ordinal}.
 */
export const ACQUIRE_SCRIPT = `${PRELUDE}
local member = ARGV[5]
local leaseMs = tonumber(ARGV[6])
local burst = tonumber(ARGV[7])
local probeMs = tonumber(ARGV[8])
local probeStep = tonumber(ARGV[9])
local forgetMs = tonumber(ARGV[10])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n = redis.call('ZCARD', KEYS[1])
local admitted = 0
local function answer(granted, wait)
  local r = 0
  if rate then r = math.floor(rate * 1000) end
  return {granted, wait, n, math.floor(limit * 1000), ceiling, math.max(0, resumeAt - now), r, epoch, now,
    admitted}
end
if rate and now - lastRefusalAt >= forgetMs then
  -- No budget refusal for a long time: the budget has recovered, stop pacing.
  rate = nil
  redis.call('HDEL', KEYS[2], 'rate', 'tat', 'estimated', 'anchorAt', 'prevAt')
end
if now < resumeAt then return answer(0, resumeAt - now) end
local cap = math.max(1, math.floor(math.min(limit, ceiling)))
-- Paced on one refusal's bound only (no estimate yet): one request at a time until the second
-- refusal gives the slope (or for 2 s at most), so learning costs one refusal, not a burst.
if rate and redis.call('HGET', KEYS[2], 'estimated') ~= '1' and now - rateSetAt < 2000 then cap = 1 end
if n >= cap then return answer(0, -1) end
if rate then
  local interval = 1000 / rate
  -- Probing: the budget may have grown back (other users of the account went quiet); the only
  -- way to find out is to ask a little faster now and then.
  if now - lastRefusalAt >= probeMs and now - lastProbeAt >= probeMs then
    rate = rate * (1 + probeStep)
    interval = 1000 / rate
    redis.call('HSET', KEYS[2], 'rate', tostring(rate), 'lastProbeAt', now)
  end
  -- GCRA: one request per interval, up to burst back to back after idling.
  local start = math.max(tat, now)
  local allowAt = start - interval * (burst - 1)
  if allowAt > now then return answer(0, math.ceil(allowAt - now)) end
  redis.call('HSET', KEYS[2], 'tat', tostring(start + interval))
end
redis.call('ZADD', KEYS[1], now + leaseMs, member)
redis.call('PEXPIRE', KEYS[1], leaseMs * 2)
admitted = redis.call('HINCRBY', KEYS[2], 'admitted', 1)
redis.call('PEXPIRE', KEYS[2], stateTtl)
return answer(1, 0)
`;

/**
 * Release and feedback. ARGV: max, initial, ceilingDecayMs, stateTtlMs, member, outcome
 * ("success" | "throttled" | "failure"), kind ("concurrency" | "budget" | "unknown" | ""),
 * backOffMs (0: none), othersAtAdmission, ticketEpoch, admittedAt (Redis ms), decrease, headroom,
 * minSpanMs (two refusal points closer than this say nothing about the rate), windowMs,
 * the ticket's admission ordinal, burst.
 * Returns {limit*1000, ceiling}.
 */
export const RELEASE_SCRIPT = `${PRELUDE}
local member = ARGV[5]
local outcome = ARGV[6]
local kind = ARGV[7]
local backOffMs = tonumber(ARGV[8])
local othersAtAdmission = tonumber(ARGV[9])
local ticketEpoch = tonumber(ARGV[10])
local admittedAt = tonumber(ARGV[11])
local decrease = tonumber(ARGV[12])
local headroom = tonumber(ARGV[13])
local minSpanMs = tonumber(ARGV[14])
local windowMs = tonumber(ARGV[15])
local burst = tonumber(ARGV[17])
local ordinal = tonumber(ARGV[16])
local r = redis.call('HMGET', KEYS[2], 'refused', 'anchorAt', 'anchorServed', 'prevAt', 'prevServed')
local refused = tonumber(r[1]) or 0
if outcome == 'throttled' then refused = refused + 1 end
-- Requests the server took from the budget up to this one: those admitted before it, less the
-- refused ones (it is refused too; refusals of later requests that came back first blur this
-- by a request or two, far less than a span of refusals counts).
local served = ordinal - refused
local anchorAt = tonumber(r[2]) or 0
local anchorServed = tonumber(r[3]) or 0
local prevAt = tonumber(r[4]) or 0
local prevServed = tonumber(r[5]) or 0
redis.call('ZREM', KEYS[1], member)
local othersNow = redis.call('ZCARD', KEYS[1])
if outcome == 'throttled' then
  if kind == 'concurrency' then
    -- "Too many at once": the account allows at most what was in flight besides this one.
    local c = math.max(1, math.min(ceiling, othersNow, othersAtAdmission))
    throttled = 1
    learnt = c
    ceiling = c
    ceilingAt = now
    if limit > c then
      limit = c
      epoch = epoch + 1
      lastCut = now
    end
  elseif kind == 'budget' then
    if backOffMs > 0 then
      -- Everyone waits for the hint, then goes at the rate the budget recharges. A refusal at t
      -- with hint h says "one request's worth at t + h"; between two refusals the budget
      -- recharged exactly the requests the server served in between, so their count over the
      -- time between the two points is the sustainable rate, whichever worker sent them. Until
      -- two points far enough apart exist, one request per hint bounds it.
      resumeAt = math.max(resumeAt, now + backOffMs)
      -- The server decided somewhere between sending and our answer's release (a busy event loop
      -- may hold either end): the midpoint is the least wrong guess.
      local readyAt = math.floor((math.min(admittedAt, now) + now) / 2) + backOffMs
      local estimate = nil
      if anchorAt > 0 and readyAt - anchorAt >= minSpanMs and served - anchorServed >= 1 then
        estimate = (served - anchorServed) * 1000 / (readyAt - anchorAt)
      end
      if estimate then
        redis.call('HSET', KEYS[2], 'estimated', '1')
        local next = headroom * estimate
        if rate and admittedAt >= rateSetAt then next = math.min(next, rate) end
        rate = next
      elseif rate == nil then
        rate = 1000 / backOffMs
        redis.call('HSET', KEYS[2], 'estimated', '0')
      end
      -- The anchor stays while it is young enough (a long span measures well); an old one gives
      -- way to the last refusal before this, so the estimate follows a budget that changes.
      if anchorAt == 0 or readyAt - anchorAt > windowMs then
        if prevAt > 0 and readyAt - prevAt >= minSpanMs then
          anchorAt = prevAt
          anchorServed = prevServed
        else
          anchorAt = readyAt
          anchorServed = served
        end
      end
      prevAt = readyAt
      prevServed = served
      rateSetAt = now
      lastRefusalAt = now
      lastProbeAt = now
      -- The first request after the pause goes at its end, the next ones at the pace: no burst
      -- into a budget that has just been found empty.
      tat = resumeAt + (1000 / rate) * (burst - 1)
    end
  elseif ticketEpoch >= epoch then
    -- Throttled without a cause (HTTP 503/429): halve, once per burst of such answers.
    throttled = 1
    limit = math.max(1, math.floor(limit * decrease))
    epoch = epoch + 1
    lastCut = now
  end
end
if outcome == 'success' and limit < ceiling then
  if throttled == 0 then
    -- Slow start, shared: one slot per success, never more than one above a concurrency the
    -- server accepted, so the account's limit costs one refusal to find, not one per worker.
    validated = math.max(validated, othersAtAdmission + 1)
    if limit < validated + 1 then limit = math.min(ceiling, math.floor(limit) + 1) end
  else
    limit = math.min(ceiling, limit + 1 / math.max(1, limit))
  end
end
local fields = {'limit', tostring(limit), 'validated', validated, 'throttled', throttled, 'epoch', epoch,
  'lastCut', lastCut, 'resumeAt', resumeAt, 'rateSetAt', rateSetAt, 'lastRefusalAt', lastRefusalAt,
  'lastProbeAt', lastProbeAt, 'tat', tostring(tat), 'refused', refused, 'anchorAt', anchorAt,
  'anchorServed', anchorServed, 'prevAt', prevAt, 'prevServed', prevServed}
if learnt < max then
  table.insert(fields, 'ceiling'); table.insert(fields, learnt)
  table.insert(fields, 'ceilingAt'); table.insert(fields, ceilingAt)
end
if rate then table.insert(fields, 'rate'); table.insert(fields, tostring(rate)) end
redis.call('HSET', KEYS[2], unpack(fields))
redis.call('PEXPIRE', KEYS[2], stateTtl)
return {math.floor(limit * 1000), ceiling}
`;

/**
 * Lease renewal of the requests one worker holds. ARGV: leaseMs, member... Re-adds a member
 * that is gone (Redis restarted without its data): the request is still running, so the slot
 * it takes must count again. Returns Redis's time (ms).
 */
export const RENEW_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local leaseMs = tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + leaseMs, ARGV[i]) end
if #ARGV > 1 then redis.call('PEXPIRE', KEYS[1], leaseMs * 2) end
return now
`;

/** Redis's clock (ms), so that tickets are dated in the time the scripts compare them with. */
export const NOW_SCRIPT = `
local t = redis.call('TIME')
return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;
