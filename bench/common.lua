-- Shared by the wrk scripts of bench/load.sh: counts responses by status in every thread and prints one
-- machine-readable line at the end:
--   WRK_RESULT requests=N seconds=S rps=R p50_ms=X p99_ms=Y statuses=200:N,409:N errors=connect:N,read:N,write:N,timeout:N non2xx3xx=N
-- A script sets `response = count_response` (or calls count_status from its own response function) to count
-- statuses; without it only wrk's own count of non-2xx/3xx responses is known.

counts = {}
local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

function count_status(status)
   counts[status] = (counts[status] or 0) + 1
end

function count_response(status, headers, body)
   count_status(status)
end

function read_lines(path)
   local lines = {}
   local f = assert(io.open(path, "r"), "cannot read " .. tostring(path))
   for line in f:lines() do
      if line ~= "" then lines[#lines + 1] = line end
   end
   f:close()
   return lines
end

function done(summary, latency, requests)
   local total = {}
   for _, thread in ipairs(threads) do
      local c = thread:get("counts") or {}
      for status, n in pairs(c) do total[status] = (total[status] or 0) + n end
   end
   local keys = {}
   for status, _ in pairs(total) do keys[#keys + 1] = status end
   table.sort(keys)
   local parts = {}
   for _, status in ipairs(keys) do parts[#parts + 1] = status .. ":" .. total[status] end
   local seconds = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format(
      "WRK_RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.2f p99_ms=%.2f statuses=%s errors=connect:%d,read:%d,write:%d,timeout:%d non2xx3xx=%d\n",
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      #parts > 0 and table.concat(parts, ",") or "-",
      e.connect, e.read, e.write, e.timeout, e.status))
end
