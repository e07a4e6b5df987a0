-- wrk script: POST a distinct, complete Vietnamese submission each time (run wrk with -t1).
counter = 0
request = function()
  counter = counter + 1
  local body = string.format(
    '{"content":"Đèn đường trước nhà số %d đường Trần Phú không sáng đã ba đêm, người dân đi lại rất nguy hiểm, đề nghị sửa chữa sớm.",' ..
    '"incident_time":"21h ngày 1/9/2024","location":"số %d đường Trần Phú, phường Nha Trang, tỉnh Khánh Hòa",' ..
    '"name":"Nguyễn Văn An","phone":"09%08d","idempotency_key":"wrk-%s-%d"}',
    counter, counter, counter, run_id, counter)
  return wrk.format("POST", prefix .. "/api/v1/submissions", {["Content-Type"] = "application/json"}, body)
end

init = function(args)
  run_id = args[1] or "0"
  prefix = args[2] or ""
end

response = function(status, headers, body)
  if status ~= 202 then
    errors_seen = (errors_seen or 0) + 1
  end
end
