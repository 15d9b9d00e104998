-- Clerk intake: POST /api/v1/cases with a different pre-generated body each request (one JSON a
-- line in BENCH_BODIES, each with its own valid deceased ID number); threads take disjoint lines.
local threads = {}
local counter = 1
function setup(thread)
  thread:set("tid", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
  bodies = {}
  local i = 0
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    if i % nthreads == (tid - 1) then table.insert(bodies, line) end
    i = i + 1
  end
  idx = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end

function request()
  idx = idx + 1
  if idx > #bodies then idx = 1 end  -- reused bodies answer 409: keep enough lines for the run
  return wrk.format(nil, nil, nil, bodies[idx])
end
