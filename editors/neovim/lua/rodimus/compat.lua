--- The few Neovim APIs that differ between 0.7 and 0.12, behind one name each.
local M = {}

--- True when Neovim is at least `version` (e.g. '0.10').
function M.has(version)
  return vim.fn.has('nvim-' .. version) == 1
end

--- Starts a client for `config` (or reuses one with the same name and root) and attaches `bufnr`.
--- Returns the client id, or nil when the server could not be started.
function M.start(config, bufnr)
  if M.has('0.10') then
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  for _, client in pairs(vim.lsp.get_active_clients()) do
    if client.name == config.name and client.config.root_dir == config.root_dir and not client.is_stopped() then
      vim.lsp.buf_attach_client(bufnr, client.id)
      return client.id
    end
  end
  local client_id = vim.lsp.start_client(config)
  if client_id then
    vim.lsp.buf_attach_client(bufnr, client_id)
  end
  return client_id
end

--- Running clients named `name`, attached to `bufnr` when it is given.
function M.clients(name, bufnr)
  local found = {}
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ name = name, bufnr = bufnr })
  end
  local candidates = bufnr and vim.lsp.buf_get_clients(bufnr) or vim.lsp.get_active_clients()
  for _, client in pairs(candidates) do
    if client.name == name and not client.is_stopped() then
      table.insert(found, client)
    end
  end
  return found
end

--- Sends a request; returns ok, request_id. `handler(err, result, ctx)`.
function M.request(client, method, params, handler, bufnr)
  if M.has('0.11') then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

function M.cancel(client, request_id)
  if M.has('0.11') then
    client:cancel_request(request_id)
  else
    client.cancel_request(request_id)
  end
end

--- Byte column of the LSP `character` offset on `line`, in the client's position encoding.
function M.byte_col(line, character, encoding)
  if encoding == 'utf-8' then
    return math.min(character, #line)
  end
  local ok, col
  if M.has('0.11') then
    ok, col = pcall(vim.str_byteindex, line, encoding, character, false)
  else
    ok, col = pcall(vim.str_byteindex, line, character, encoding == 'utf-16')
  end
  return ok and col or #line
end

return M
