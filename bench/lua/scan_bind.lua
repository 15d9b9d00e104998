-- The family scans the case QR code and binds: POST /api/v1/scan then /api/v1/scan/bind, in turn.
local body = '{"token": "' .. os.getenv("BENCH_QR") .. '"}'
local n = 0
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
function request()
  n = n + 1
  local path = (n % 2 == 1) and "/api/v1/scan" or "/api/v1/scan/bind"
  return wrk.format("POST", path, nil, body)
end
