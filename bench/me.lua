-- GET /api/v1/me, signed in: the whole middleware chain and the identity check, but no case and no audit entry.
-- The load benchmark measures it beside the case read, so that a read's share of the bare route can be split into
-- what every signed-in request costs and what the read itself adds.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local auth

function init(args)
   auth = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN") }
end

function request()
   return wrk.format("GET", "/api/v1/me", auth)
end

response = count_response
