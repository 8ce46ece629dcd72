-- wrk script for bench/http_bench.py: send the page's Host and Cookie headers (the tenant is picked by
-- Host, as in production), count responses that are not 2xx, and print one JSON line with the counts and
-- the latency percentiles (microseconds) that wrk's own summary does not show (p95).
-- With BENCH_MIX (lines of "path<TAB>cookie", for --soak) each connection goes round the pages in turn,
-- each thread starting at another page.
local host = os.getenv("BENCH_HOST")
local cookie = os.getenv("BENCH_COOKIE")
local mix = os.getenv("BENCH_MIX")
if host and host ~= "" then
  wrk.headers["Host"] = host
end
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end

local threads = {}

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  first_bad = 0
  if mix and mix ~= "" then
    mixed = {}
    for line in string.gmatch(mix, "[^\n]+") do
      local path, page_cookie = string.match(line, "^([^\t]+)\t(.*)$")
      table.insert(mixed, wrk.format("GET", path, { Host = host, Cookie = page_cookie }))
    end
    next_page = (offset or 0) % #mixed
    request = function()
      next_page = next_page % #mixed + 1
      return mixed[next_page]
    end
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad == 0 then
      first_bad = status
    end
  end
end

function done(summary, latency, requests)
  local bad, first = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    if first == 0 then
      first = thread:get("first_bad")
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non_2xx": %d, "first_non_2xx": %d, '
      .. '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, '
      .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, bad, first,
    errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean, latency.max
  ))
end
