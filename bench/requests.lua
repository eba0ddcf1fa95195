-- wrk script: POST requests read from a file the bench wrote (each different: a new message id
-- and number, signed where the provider signs), so that every request is a new webhook; or GET
-- requests (the soak's API and console pages, with an Authorization or Cookie header).
--
-- Set by the bench in the environment:
--   BENCH_REQUESTS  the file: one request a line, "path<TAB>header<TAB>body" (header may be
--                   empty, else "Name: value"); bodies are form-encoded already; a path
--                   starting with "GET " is sent as a GET (its body is ignored)
--   BENCH_RATE      requests per second per connection; unset or 0: as fast as answered
--   BENCH_EXPECT    a status (e.g. "200"): any other answer is counted bad (wrk itself counts
--                   only statuses from 400, so a redirect to the sign-in page would pass)
--   BENCH_OFFSET    the first line this run uses (rounds of one run never repeat a request)
--   BENCH_THREADS   wrk's thread count (each thread's Lua state knows only its own id)
-- Thread t of n sends lines offset+t, offset+t+n, ...; a file too short wraps around (the
-- webhooks are then replays, and the line says so; GET lines simply repeat).

local requests = {}
for line in io.lines(os.getenv("BENCH_REQUESTS")) do
  local path, header, body = string.match(line, "^([^\t]*)\t([^\t]*)\t(.*)$")
  local method = "POST"
  local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  if string.sub(path, 1, 4) == "GET " then
    method, path, body, headers = "GET", string.sub(path, 5), nil, {}
  end
  if header ~= "" then
    local name, value = string.match(header, "^([^:]+):%s*(.*)$")
    headers[name] = value
  end
  requests[#requests + 1] = { method = method, path = path, headers = headers, body = body }
end
local offset = tonumber(os.getenv("BENCH_OFFSET") or "0") or 0
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1") or 1
local rate = tonumber(os.getenv("BENCH_RATE") or "0") or 0
local expect = tonumber(os.getenv("BENCH_EXPECT") or "")

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_id", #threads)
end

function init(_args)
  sent = 0
  wrapped = 0
  unexpected = 0
  first_unexpected = ""
end

function request()
  local index = offset + (thread_id - 1) + sent * thread_count
  local chosen = requests[(index % #requests) + 1]
  if index >= #requests and chosen.method == "POST" then
    wrapped = 1 -- a GET may be repeated; a webhook sent again is a replay
  end
  sent = sent + 1
  return wrk.format(chosen.method, chosen.path, chosen.headers, chosen.body)
end

if expect then
  function response(status, _headers, body)
    if status ~= expect then
      unexpected = unexpected + 1
      if first_unexpected == "" then
        first_unexpected = string.format("%d %s", status, string.sub(body or "", 1, 60))
      end
    end
  end
end

if rate > 0 then
  -- The fixed, staggered schedule of ussd.lua (see there).
  local ffi = require("ffi")
  ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clock, bench_timespec *now);
  ]]
  local now = ffi.new("bench_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, now) -- CLOCK_MONOTONIC
    return tonumber(now.tv_sec) * 1000 + tonumber(now.tv_nsec) / 1e6
  end
  local interval = 1000 / rate
  local due = nil

  function delay()
    local current = now_ms()
    if due == nil then
      due = current + (thread_id - 1) / thread_count * interval
    else
      due = due + interval
    end
    if due < current then
      return 0
    end
    return math.floor(due - current)
  end
end

function done(summary, latency, _requests)
  local any_wrapped, total_unexpected, sample = 0, 0, ""
  for _, thread in ipairs(threads) do
    any_wrapped = math.max(any_wrapped, thread:get("wrapped") or 0)
    total_unexpected = total_unexpected + (thread:get("unexpected") or 0)
    local found = thread:get("first_unexpected")
    if sample == "" and found and found ~= "" then sample = found end
  end
  if any_wrapped == 1 then
    sample = "the request file ran out: some requests were replays"
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p95_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"socket_errors":%d,"non_2xx":%d,"reports":0,"bad":%d,' ..
    '"first_bad":"%s"}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max,
    errors.connect + errors.read + errors.write + errors.timeout, errors.status,
    any_wrapped + total_unexpected, string.gsub(sample, '[%c"\\]', " ")))
end
