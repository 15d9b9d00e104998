-- GET with a bearer token: wrk -s get.lua <url>  (BENCH_TOKEN in the environment)
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
