-- GET /api/v1/cases?perPage=50 (the newest 50 of the organisation), signed in.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

function init(args)
   wrk.method = "GET"
   wrk.path = "/api/v1/cases?perPage=50"
   wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end

response = count_response
