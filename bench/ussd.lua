-- wrk script: Africa's Talking USSD sessions, one hop per request.
--
-- Every wrk thread drives one connection (the bench runs wrk with -t N -c N), so one thread's
-- requests follow each other and its session can move on only after the previous hop's answer:
-- the text grows answer by answer ("", "1", "1*2", ...) through the whole walk, then a new
-- session starts with a new sessionId from a new phone number. Session ids and numbers are
-- unique per run (BENCH_RUN), thread and session.
--
-- Set by the bench in the environment (wrk hands no arguments to the code that decides whether
-- a script paces its requests):
--   BENCH_ANSWERS  the walk's answers, separated by a tab
--   BENCH_RUN      a short id unique to this run (digits)
--   BENCH_CHECK    "1": check every answer (CON until the last hop, END with a reference then)
--   BENCH_ENDS     "0": the walk stops short of its END (every answer is CON; no report)
--   BENCH_RATE     requests per second per connection; unset or 0: as fast as answered
--   BENCH_THREADS  wrk's thread count (= connections)
-- At the end it prints one line, "BENCH_RESULT " and a JSON object, for the bench to read.

local answers = {}
for answer in string.gmatch(os.getenv("BENCH_ANSWERS") or "", "[^\t]+") do
  answers[#answers + 1] = answer
end
local run = os.getenv("BENCH_RUN") or "0"
local check = os.getenv("BENCH_CHECK") == "1"
local ends = os.getenv("BENCH_ENDS") ~= "0"
local rate = tonumber(os.getenv("BENCH_RATE") or "0") or 0

local function form_encode(value)
  return (string.gsub(value, "[^%w%-%._~]", function(char)
    if char == " " then return "+" end
    return string.format("%%%02X", string.byte(char))
  end))
end

-- The cumulative text of each hop, encoded once.
local texts = { "" }
for hop = 1, #answers do
  local typed = {}
  for n = 1, hop do typed[n] = answers[n] end
  texts[hop + 1] = form_encode(table.concat(typed, "*"))
end

local threads = {}
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_id", next_thread)
  threads[#threads + 1] = thread
end

function init(_args)
  hop = 1
  session = 0
  reports = 0
  bad = 0
  first_bad = ""
  wrk.method = "POST"
end

function request()
  -- thread_id is set by setup() before init() runs in the thread.
  local id = string.format("%s-%d-%d", run, thread_id, session)
  local phone = string.format("+2547%02d%06d", thread_id % 100, (tonumber(run) * 7919 + session) % 1000000)
  local body = "sessionId=bench-" .. id .. "&serviceCode=%2A384%2A116%23&phoneNumber=" ..
    form_encode(phone) .. "&networkCode=63902&text=" .. texts[hop]
  -- The session id again in a header: nginx logs it with the master that answered (scale-out).
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Bench-Session"] = "bench-" .. id,
  }
  return wrk.format(nil, nil, headers, body)
end

function response(status, _headers, body)
  if check then
    local last = ends and hop == #texts
    local expected = last and "END " or "CON "
    if status ~= 200 or string.sub(body, 1, 4) ~= expected then
      bad = bad + 1
      if first_bad == "" then
        first_bad = string.format("hop %d: %d %s", hop, status, string.sub(body, 1, 60))
      end
    elseif last and string.find(body, "%d%d%d%-%d%d%d%-%d%d%d") then
      reports = reports + 1
    end
  end
  hop = hop + 1
  if hop > #texts then
    hop = 1
    session = session + 1
  end
end

if rate > 0 then
  -- A fixed schedule per connection: each request is due 1/rate s after the previous one was
  -- due, whatever the answers took (as wrk2 paces), unless it is already late.
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
  local threads_running = tonumber(os.getenv("BENCH_THREADS") or "1") or 1
  local due = nil

  function delay()
    local current = now_ms()
    if due == nil then
      -- The connections' schedules are staggered evenly over one interval: started together,
      -- they would otherwise send in bursts and measure their own queue.
      due = current + (thread_id - 1) / threads_running * interval
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
  local total_reports, total_bad, sample = 0, 0, ""
  for _, thread in ipairs(threads) do
    total_reports = total_reports + (thread:get("reports") or 0)
    total_bad = total_bad + (thread:get("bad") or 0)
    local found = thread:get("first_bad")
    if sample == "" and found and found ~= "" then sample = found end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p95_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"socket_errors":%d,"non_2xx":%d,"reports":%d,"bad":%d,' ..
    '"first_bad":"%s"}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max,
    errors.connect + errors.read + errors.write + errors.timeout, errors.status,
    total_reports, total_bad, string.gsub(sample, '[%c"\\]', " ")))
end
