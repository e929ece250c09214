-- Hostile bodies: 256 KiB of `a=1&` pairs to /sign-in, with no credentials (refused with 413 before parsing, or
-- 429 once the address is throttled). Two connections of this run beside signed-in reads.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

function init(args)
   wrk.method = "POST"
   wrk.path = "/sign-in"
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   wrk.body = string.rep("a=1&", 256 * 1024 / 4)
end

response = count_response
