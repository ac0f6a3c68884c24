-- wrk script of bench/load_bench.py: a mix of TAXII 2.1 GETs with a bearer token, each wrk
-- thread on one `accord serve` process of its own (as a load balancer spreading connections
-- over hosts), and a JSON summary at the end.
--
-- Environment: ACCORD_TOKEN, ACCORD_PATHS (paths separated by spaces, taken in turn),
-- ACCORD_PORTS (the servers' ports, one per thread in turn; one port = every thread on it).

local token = os.getenv("ACCORD_TOKEN")
local paths = {}
for path in string.gmatch(os.getenv("ACCORD_PATHS"), "%S+") do
  table.insert(paths, path)
end
local ports = {}
for port in string.gmatch(os.getenv("ACCORD_PORTS"), "%S+") do
  table.insert(ports, port)
end

local threads = {}
local started = 0

function setup(thread)
  -- Thread n talks to server n (mod the number of servers).
  local port = ports[(started % #ports) + 1]
  thread.addr = wrk.lookup("127.0.0.1", port)[1]
  thread:set("id", started)
  started = started + 1
  table.insert(threads, thread)
end

function init(args)
  -- Each thread starts at another point of the mix, so the servers see it all at once.
  n = id
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Accept"] = "application/taxii+json;version=2.1"
  bad = 0
end

function request()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local bad_total = 0
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %.3f, "not_200": %d, "connect": %d, "read": %d, '
    .. '"write": %d, "timeout": %d, "status": %d, "p50_ms": %.3f, "p90_ms": %.3f, '
    .. '"p99_ms": %.3f, "max_ms": %.3f, "mean_ms": %.3f}\n',
    summary.requests, summary.duration / 1e6, bad_total, e.connect, e.read, e.write,
    e.timeout, e.status, latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3, latency.mean / 1e3))
end
