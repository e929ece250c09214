-- GET /api/v1/cases/{id} for random ids among those in $BENCH_IDS (one "id version" a line), signed in.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local ids = {}
local auth

function init(args)
   for _, line in ipairs(read_lines(os.getenv("BENCH_IDS"))) do
      ids[#ids + 1] = line:match("^(%S+)")
   end
   assert(#ids > 0, "no case ids in " .. tostring(os.getenv("BENCH_IDS")))
   auth = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN") }
   math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

function request()
   return wrk.format("GET", "/api/v1/cases/" .. ids[math.random(#ids)], auth)
end

response = count_response
