-- One page, read again and again: `wrk -s page.lua URL -- COOKIE` (COOKIE empty: anonymous).
-- scripts/loadtest.py runs it once per page and reads the JSON line `done` prints.
local report = dofile((os.getenv("TADAMON_LUA_DIR") or ".") .. "/report.lua")
local cookie = ""

function init(args)
  cookie = args[1] or ""
end

function request()
  local headers = { ["Accept-Language"] = "fr", ["Accept-Encoding"] = "gzip" }
  if cookie ~= "" then
    headers["Cookie"] = cookie
  end
  return wrk.format("GET", wrk.path, headers)
end

done = report
