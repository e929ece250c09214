-- The anonymous flood: GET /api/v1/nope with no credentials (404, or 429 once the address is throttled).
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

function init(args)
   wrk.method = "GET"
   wrk.path = "/api/v1/nope"
end

response = count_response
