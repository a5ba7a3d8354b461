-- POST /api/token/refresh/.  BENCH_POOL names a file of refresh tokens, one a line, each sent once
-- (rotation makes every token single-use); without it, BENCH_REFRESH is sent every time.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local tokens, next_token = nil, 1
local pool = os.getenv("BENCH_POOL")
if pool ~= nil and pool ~= "" then
  tokens = {}
  for line in io.lines(pool) do
    tokens[#tokens + 1] = line
  end
else
  wrk.body = '{"refresh": "' .. os.getenv("BENCH_REFRESH") .. '"}'
end

function request()
  if tokens == nil then
    return wrk.request()
  end
  if next_token > #tokens then
    wrk.thread:stop()  -- pool used up: stop rather than replay a rotated-out token
    next_token = 1
  end
  local token = tokens[next_token]
  next_token = next_token + 1
  return wrk.format(nil, nil, nil, '{"refresh": "' .. token .. '"}')
end

dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
