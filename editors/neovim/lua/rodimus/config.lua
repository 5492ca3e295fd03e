--- Options of require('rodimus').setup{} and their defaults.
local M = {}

M.defaults = {
  -- The server: `rodimus-lsp serve` over stdio.
  cmd = { 'rodimus-lsp', 'serve' },
  filetypes = { 'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'java', 'rust', 'c', 'cpp' },
  -- The workspace root: the nearest parent holding one of these, else the current directory.
  -- `root_dir` (a path, or a function(bufnr) returning one) overrides the search.
  root_markers = { '.git', 'pyproject.toml', 'setup.py', 'package.json', 'go.mod', 'Cargo.toml', 'pom.xml' },
  root_dir = nil,
  -- Sent as initializationOptions, in the server's own shape:
  -- { model = { path, device, dtype }, completion = { maxTokens, debounceMs, multiline, fim, documentCache },
  --   cgm = { backend, endpoint, model, apiKeyEnv }, index = { exclude, cacheDir }, diagnostics = { syntax },
  --   stateBudgetMB }
  init_options = {},
  inline = {
    enabled = true,
    -- Wait this long after the last keystroke before asking (Neovim < 0.12; 0.12+ uses its own timer).
    debounce_ms = 150,
    -- On Neovim 0.12+ use the built-in vim.lsp.inline_completion instead of this plugin's ghost text.
    native = true,
  },
  -- Insert-mode keys; false turns one off. accept and dismiss only act while a suggestion is shown
  -- and otherwise type their key as usual.
  keymaps = { accept = '<Tab>', dismiss = '<C-]>', trigger = '<M-\\>' },
  search = { k = 20 },
  -- Called as on_attach(client, bufnr) after the plugin's own setup of the buffer.
  on_attach = nil,
}

local function is_list(value)
  if type(value) ~= 'table' then
    return false
  end
  return next(value) == nil or value[1] ~= nil
end

--- Deep merge where lists (cmd, filetypes, ...) replace the default instead of merging by index.
local function merge(base, override)
  local out = vim.deepcopy(base)
  for key, value in pairs(override) do
    if type(value) == 'table' and type(out[key]) == 'table' and not is_list(value) and not is_list(out[key]) then
      out[key] = merge(out[key], value)
    else
      out[key] = value
    end
  end
  return out
end

local TYPES = {
  cmd = 'table', filetypes = 'table', root_markers = 'table', init_options = 'table',
  inline = 'table', keymaps = 'table', search = 'table',
}

--- The defaults overridden by `opts`; raises on an unknown option or a wrong type.
function M.resolve(opts)
  opts = opts or {}
  for key, value in pairs(opts) do
    if M.defaults[key] == nil and key ~= 'root_dir' and key ~= 'on_attach' then
      error(('rodimus.setup: unknown option %q'):format(key), 3)
    end
    if TYPES[key] and type(value) ~= TYPES[key] then
      error(('rodimus.setup: option %q must be a %s'):format(key, TYPES[key]), 3)
    end
  end
  if opts.root_dir ~= nil and type(opts.root_dir) ~= 'string' and type(opts.root_dir) ~= 'function' then
    error('rodimus.setup: option "root_dir" must be a path or a function(bufnr)', 3)
  end
  if opts.on_attach ~= nil and type(opts.on_attach) ~= 'function' then
    error('rodimus.setup: option "on_attach" must be a function(client, bufnr)', 3)
  end
  return merge(M.defaults, opts)
end

return M
