-- Voters casting ballots: each wrk thread is one organisation's representative, logged in
-- beforehand (scripts/loadtest.py runs one thread per connection, so that no two connections
-- vote for the same organisation); it posts its ballot again and again, each post a new ledger
-- entry that replaces its previous ballot. TADAMON_VOTERS names a file of lines "cookie<TAB>body<TAB>referer"
-- written by scripts/loadtest.py (the session, the form with its CSRF token, the page's address).
local report = dofile((os.getenv("TADAMON_LUA_DIR") or ".") .. "/report.lua")
local voters, started = {}, 0

function setup(thread)
  if #voters == 0 then
    for line in io.lines(os.getenv("TADAMON_VOTERS")) do
      table.insert(voters, line)
    end
  end
  started = started + 1
  local voter = voters[(started - 1) % #voters + 1]
  local cookie, body, referer = voter:match("([^\t]*)\t([^\t]*)\t([^\t]*)")
  thread:set("cookie", cookie)
  thread:set("body", body)
  thread:set("referer", referer)
end

function request()
  return wrk.format("POST", wrk.path, {
    ["Cookie"] = cookie, ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Referer"] = referer, ["Accept-Language"] = "fr" }, body)
end

done = report
