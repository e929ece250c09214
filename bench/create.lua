-- POST /api/v1/cases: a new case with a small set of facts (references only, no names), signed in. 201 expected.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

function init(args)
   wrk.method = "POST"
   wrk.path = "/api/v1/cases"
   wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
   wrk.headers["Content-Type"] = "application/json"
   wrk.body = os.getenv("BENCH_CASE_BODY")
end

response = count_response
