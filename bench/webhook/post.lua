-- wrk script: posts pre-signed WhatsApp webhooks. Thread N reads bodies-N.txt, which
-- gen_bodies.py wrote as whole requests, each after a line with its length, so message ids
-- never collide between threads and wrk spends no time formatting requests (it shares
-- the machine with the server it measures). At the end of the file it starts again.
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  file = assert(io.open(os.getenv("BODIES_DIR") .. "/bodies-" .. id .. ".txt", "rb"))
end

function request()
  local len = file:read("*n")
  if not len then
    file:seek("set", 0)
    len = file:read("*n")
  end
  file:read(1)
  return file:read(len)
end
