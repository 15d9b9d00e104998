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

-- Appended to every scenario script by bench/run.py: one machine-readable line at the end.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "non_2xx_3xx": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean, latency.max))
end
