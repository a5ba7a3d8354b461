-- GET with the access token from BENCH_ACCESS.
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_ACCESS")

dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
