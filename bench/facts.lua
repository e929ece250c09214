-- PUT /api/v1/cases/{id}/facts at the case's current version, signed in.
--
-- $BENCH_IDS holds "id version" a line. Thread t of $BENCH_THREADS takes every line i with i % threads == t - 1, so
-- no two threads share a case; within a thread a case is sent again only after its previous answer came back
-- (the versions are taken from the 200 answers), so no two connections ever work on the same case at once and a
-- 409 means the server refused a write made at the version it had just returned. A 409 or any other non-200
-- answer cannot be tied back to its case (wrk gives no request to a response): that case stays "in flight" and
-- is only used again, at its last known version, if a thread runs out of free cases.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local versions = {}   -- id (lower case) -> version
local free = {}       -- queue of ids not in flight
local head, tail = 1, 0
local inflight = {}   -- id -> sequence number when sent
local sent = {}       -- ring of ids in sending order, for reuse when no case is free
local sequence = 0
local auth
local bodies = {
   '"facts":{"people":[{"ref":"A","age":15,"roles":["depicted","sender"]},{"ref":"B","age":15,"roles":["recipient"]}],"circumstances":{"willing":true,"ageAppropriate":true}}}',
   '"facts":{"people":[{"ref":"A","age":15,"roles":["depicted","sender"]},{"ref":"B","age":16,"roles":["recipient"]}],"circumstances":{"willing":true,"ageAppropriate":false}}}',
}

local function push_free(id)
   tail = tail + 1
   free[tail] = id
end

local function pop_free()
   if head > tail then return nil end
   local id = free[head]
   free[head] = nil
   head = head + 1
   return id
end

function init(args)
   local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
   local lines = read_lines(os.getenv("BENCH_IDS"))
   for i, line in ipairs(lines) do
      if (i - 1) % threads == (tid or 1) - 1 then
         local id, version = line:match("^(%S+)%s+(%d+)")
         id = id:lower()
         versions[id] = tonumber(version)
         push_free(id)
      end
   end
   assert(tail > 0, "no case ids for thread " .. tostring(tid))
   auth = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"), ["Content-Type"] = "application/json" }
   stuck = 0
end

function request()
   local id = pop_free()
   if id == nil then
      -- Every case is in flight or stuck after an unattributable error: reuse the one sent longest ago.
      local oldest, oldestSeq = nil, math.huge
      for k, s in pairs(inflight) do
         if s < oldestSeq then oldest, oldestSeq = k, s end
      end
      id = oldest
      stuck = stuck + 1
   end
   sequence = sequence + 1
   inflight[id] = sequence
   local v = versions[id]
   local body = '{"version":' .. v .. ',' .. bodies[(v % 2) + 1]
   return wrk.format("PUT", "/api/v1/cases/" .. id .. "/facts", auth, body)
end

function response(status, headers, body)
   count_status(status)
   if status == 200 then
      -- The case's own id is one of the "id"s in the answer; it is the one in flight in this thread. Its version
      -- is the first "version" of the answer (the case's fields come before its facts, actions and assessment).
      local id
      for candidate in body:gmatch('"id"%s*:%s*"([%x%-]+)"') do
         candidate = candidate:lower()
         if inflight[candidate] then id = candidate; break end
      end
      local version = tonumber(body:match('"version"%s*:%s*(%d+)'))
      if id and version and inflight[id] then
         versions[id] = version
         inflight[id] = nil
         push_free(id)
      end
   end
end
