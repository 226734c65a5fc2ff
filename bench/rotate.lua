-- wrk script for the bench's cold cases: each request asks the next path of a list, so no two requests in a row
-- ask the same question, and says `Cache-Control: no-cache`, so techsov's response cache answers none of them
-- from memory (a hard reload: answered afresh). The peers ignore the header.
--
--   wrk -t1 -c16 -d3s -s bench/rotate.lua http://127.0.0.1:8000 -- paths.txt [first]
--
-- paths.txt: one path with its query a line (`/v1/statements/st-1`); `first`: how many paths to skip at the start
-- (the bench carries on from where the previous run of the same case stopped). One wrk thread: one list, in order.
local requests = {}
local index = 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      requests[#requests + 1] = wrk.format("GET", line, { ["Host"] = wrk.headers["Host"], ["Cache-Control"] = "no-cache" })
    end
  end
  index = (tonumber(args[2] or "0") or 0) % #requests
end

function request()
  index = index % #requests + 1
  return requests[index]
end
