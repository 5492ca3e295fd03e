--- Starting the rodimus-lsp client for a buffer and finding it again.
local compat = require('rodimus.compat')

local M = {}

M.name = 'rodimus'

local uv = vim.loop

local function find_root(path, markers)
  local dir = vim.fn.fnamemodify(path, ':p:h')
  while true do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      return nil
    end
    dir = parent
  end
end

--- The workspace root for `bufnr`: the configured root_dir, else the nearest parent with a
--- root marker, else the current directory.
function M.root_dir(bufnr, config)
  if type(config.root_dir) == 'function' then
    return config.root_dir(bufnr)
  end
  if type(config.root_dir) == 'string' then
    return (vim.fn.fnamemodify(config.root_dir, ':p'):gsub('(.)/$', '%1'))
  end
  local path = vim.api.nvim_buf_get_name(bufnr)
  return (path ~= '' and find_root(path, config.root_markers)) or vim.fn.getcwd()
end

local function capabilities()
  local caps = vim.lsp.protocol.make_client_capabilities()
  -- Before 0.12 Neovim does not announce inline completion; this plugin handles it.
  caps.textDocument = caps.textDocument or {}
  caps.textDocument.inlineCompletion = caps.textDocument.inlineCompletion or { dynamicRegistration = false }
  return caps
end

--- Starts (or reuses) the client for `bufnr`; `on_attach(client, bufnr)` runs once it is attached.
function M.attach(bufnr, config, on_attach)
  if vim.bo[bufnr].buftype ~= '' then
    return nil
  end
  return compat.start({
    name = M.name,
    cmd = config.cmd,
    root_dir = M.root_dir(bufnr, config),
    init_options = config.init_options,
    capabilities = capabilities(),
    on_attach = on_attach,
  }, bufnr)
end

--- The rodimus client attached to `bufnr`, else any running rodimus client, else nil.
function M.get(bufnr)
  local attached = compat.clients(M.name, bufnr)
  if attached[1] then
    return attached[1]
  end
  return compat.clients(M.name)[1]
end

return M
