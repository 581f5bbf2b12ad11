-- wrk script: posts pre-signed WhatsApp webhooks, one line of bodies-N.txt per request
-- ("SIGNATURE<TAB>BODY"), thread N reading its own file so message ids never collide.
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  local dir = os.getenv("BODIES_DIR")
  path = dir .. "/bodies-" .. id .. ".txt"
  file = assert(io.open(path, "r"))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local line = file:read("*l")
  if not line then
    file:close()
    file = assert(io.open(path, "r"))
    line = file:read("*l")
  end
  local tab = line:find("\t", 1, true)
  wrk.headers["X-Hub-Signature-256"] = line:sub(1, tab - 1)
  return wrk.format(nil, "/webhooks/whatsapp", nil, line:sub(tab + 1))
end
