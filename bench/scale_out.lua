-- wrk script for bench/scale_out.py: POSTs each path of the file named after "--" once,
-- in order, then starts again (repeats answer 410). Run with one thread (-t1), so that
-- one Lua state owns the file. Prints one RESULT line for the driver to read.
local paths = {}
local next_path = 1
granted = 0
refused = 0

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    for line in io.lines(args[1]) do
        paths[#paths + 1] = line
    end
end

function request()
    local path = paths[next_path]
    next_path = next_path % #paths + 1
    return wrk.format("POST", path, { ["Accept"] = "application/json" })
end

function response(status, headers, body)
    if status == 200 then
        granted = granted + 1
    else
        refused = refused + 1
    end
end

function done(summary, latency, requests)
    local total_granted, total_refused = 0, 0
    for _, thread in ipairs(threads) do
        total_granted = total_granted + thread:get("granted")
        total_refused = total_refused + thread:get("refused")
    end
    io.write(string.format(
        "RESULT granted=%d refused=%d errors=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f\n",
        total_granted, total_refused,
        summary.errors.connect + summary.errors.read + summary.errors.write
            + summary.errors.timeout,
        summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
