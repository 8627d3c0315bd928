-- wrk script: POST /oauth2/introspect cycling through the tokens in the file TOKENS (one per
-- line), each thread from its own offset, so that a token comes back only after the whole list
-- has gone by (a list longer than the service's cache of verified tokens measures the path
-- that verifies every signature). Credentials and the summary line come from the peer's
-- common.lua (PEER_WRK names its folder).
package.path = (os.getenv("PEER_WRK") or ".") .. "/?.lua;" .. package.path
local common = require("common")

local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do
  if #line > 0 then tokens[#tokens + 1] = line end
end
if #tokens == 0 then error("TOKENS names an empty file") end

local threads = 0
function setup(thread)
  thread:set("offset", threads * math.floor(#tokens / 2))
  threads = threads + 1
end

local i = 0
function request()
  i = i + 1
  local t = tokens[((offset or 0) + i) % #tokens + 1]
  return wrk.format("POST", nil, {
    ["Authorization"] = "Basic " .. common.basic,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "token=" .. t .. "&token_type_hint=access_token")
end

done = common.done
