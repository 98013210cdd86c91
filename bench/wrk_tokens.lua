-- Load for `make bench`: each request goes to its own personal link (or to
-- /healthz or a fixed path). Each wrk thread stops after its share of a
-- fixed number of responses, notes the moment, and leaves a file in
-- BENCH_DONE_DIR; bench/run.py then ends wrk (whose -d is only an upper
-- bound). The rate is the responses over the time from the first request
-- to the last response. Set through the environment:
--   BENCH_MODE      post | get | healthz | path
--   BENCH_TOKENS    a file with one token per line (post and get)
--   BENCH_PATH      the path for mode "path"
--   BENCH_THREADS   wrk's -t
--   BENCH_REQUESTS  responses in all, shared evenly by the threads
--   BENCH_DONE_DIR  where each thread says it is done
--   BENCH_COOKIE, BENCH_BODY  for the posts (a CSRF cookie and the form)

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]]

local function now_us()
  local t = ffi.new("bench_timespec")
  ffi.C.clock_gettime(1, t) -- CLOCK_MONOTONIC
  return tonumber(t.tv_sec) * 1000000 + math.floor(tonumber(t.tv_nsec) / 1000)
end

local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  mode = os.getenv("BENCH_MODE")
  local nthreads = tonumber(os.getenv("BENCH_THREADS"))
  cookie = os.getenv("BENCH_COOKIE") or ""
  body = os.getenv("BENCH_BODY") or ""
  fixed_path = os.getenv("BENCH_PATH") or "/healthz"
  done_dir = os.getenv("BENCH_DONE_DIR")
  tokens = {}
  if mode == "post" or mode == "get" then
    local i = 0
    for line in io.lines(os.getenv("BENCH_TOKENS")) do
      if i % nthreads == id then
        table.insert(tokens, line)
      end
      i = i + 1
    end
  end
  position = 0
  responses = 0
  limit = math.floor(tonumber(os.getenv("BENCH_REQUESTS")) / nthreads)
  started_at = 0
  finished_at = 0
end

function request()
  if started_at == 0 then
    started_at = now_us()
  end
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

function response(status, headers, body)
  responses = responses + 1
  if responses == limit then
    finished_at = now_us()
    local marker = io.open(done_dir .. "/" .. id, "w")
    marker:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local first, last, counted, finished = nil, 0, 0, 0
  for _, thread in ipairs(threads) do
    local started, ended = thread:get("started_at"), thread:get("finished_at")
    counted = counted + thread:get("responses")
    if first == nil or started < first then
      first = started
    end
    if ended > 0 then
      finished = finished + 1
      if ended > last then
        last = ended
      end
    end
  end
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "all_finished": %s, "p50_us": %d, "p99_us": %d, "status_errors": %d, "socket_errors": %d}\n',
    counted, last - first, tostring(finished == #threads), latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
