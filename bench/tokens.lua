-- wrk script: POST /connect/<token> with every request taking a token of its own.
-- Usage: wrk -s tokens.lua URL -- TOKENS_FILE [THREADS [METHOD [ACCEPT]]]
-- Each wrk thread takes every N-th line of the file, so no token is sent twice (a thread
-- that runs out starts again from its first: fine for GETs, which use nothing up).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local step = tonumber(args[2] or "1")
  tokens = {}
  local n = 0
  for line in io.lines(args[1]) do
    if n % step == id then table.insert(tokens, line) end
    n = n + 1
  end
  index = 0
  statuses = {}
  wrk.method = args[3] or "POST"
  wrk.headers["Accept"] = args[4] or "application/json"
end

function request()
  index = index + 1
  local token = tokens[((index - 1) % #tokens) + 1]
  return wrk.format(nil, "/connect/" .. token)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, count in pairs(counts) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  for status, count in pairs(totals) do
    io.write(string.format("STATUS %d %d\n", status, count))
  end
  io.write(string.format("P50 %f\nP99 %f\nRPS %f\n", latency:percentile(50) / 1e6,
    latency:percentile(99) / 1e6, summary.requests / (summary.duration / 1e6)))
end
