-- Load for `make bench`: each request goes to its own personal link (or to
-- /healthz or a fixed path), for as long as wrk's -d says; bench/run.py
-- gives more links than can be used in that time. Set through the
-- environment:
--   BENCH_MODE    post | get | healthz | path
--   BENCH_TOKENS  a file with one token per line (post and get)
--   BENCH_PATH    the path for mode "path"
--   BENCH_THREADS wrk's -t
--   BENCH_COOKIE, BENCH_BODY  for the posts (a CSRF cookie and the form)

local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  mode = os.getenv("BENCH_MODE")
  local threads = tonumber(os.getenv("BENCH_THREADS"))
  cookie = os.getenv("BENCH_COOKIE") or ""
  body = os.getenv("BENCH_BODY") or ""
  fixed_path = os.getenv("BENCH_PATH") or "/healthz"
  tokens = {}
  if mode == "post" or mode == "get" then
    local i = 0
    for line in io.lines(os.getenv("BENCH_TOKENS")) do
      if i % threads == id then
        table.insert(tokens, line)
      end
      i = i + 1
    end
  end
  position = 0
end

function request()
  position = position + 1
  if mode == "post" then
    local token = tokens[((position - 1) % #tokens) + 1]
    return wrk.format("POST", "/s/" .. token .. "/", {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Cookie"] = cookie,
    }, body)
  elseif mode == "get" then
    local token = tokens[((position - 1) % #tokens) + 1]
    return wrk.format("GET", "/s/" .. token .. "/")
  elseif mode == "path" then
    return wrk.format("GET", fixed_path)
  end
  return wrk.format("GET", "/healthz")
end

function done(summary, latency, requests)
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "status_errors": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
