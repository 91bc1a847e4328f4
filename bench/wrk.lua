-- wrk script for bench/http_throughput.py, driven by environment variables:
--   BENCH_METHOD  GET (default) or POST
--   BENCH_BODY    request body (POST: form-encoded)
--   BENCH_AUTH    value of the Authorization header
-- done() prints one line, "BENCH_JSON {...}", with latencies in microseconds.

local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local auth = os.getenv("BENCH_AUTH")

wrk.method = method
if auth then
   wrk.headers["Authorization"] = auth
end
wrk.headers["Accept"] = "application/json"
if body and method ~= "GET" then
   wrk.body = body
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,'
         .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,'
         .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean,
      e.connect, e.read, e.write, e.status, e.timeout))
end
