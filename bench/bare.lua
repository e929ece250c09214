-- The bare route (safeguard-baseline's GET /): no per-response Lua, only wrk's own counts.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")
