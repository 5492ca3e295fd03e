--- rodimus: Neovim client for the rodimus-lsp language server (Neovim 0.7+).
---
---   require('rodimus').setup({ cmd = { '/path/to/.venv/bin/rodimus-lsp', 'serve' } })
---
--- Hover, definitions, references, symbols and the "Fix this issue" code action come through
--- Neovim's LSP client; this plugin starts the server for the configured filetypes, adds inline
--- completions (ghost text before 0.12) and the :RodimusFix/:RodimusSearch/:RodimusReindex commands.
local config_module = require('rodimus.config')
local rodimus_client = require('rodimus.client')
local inline = require('rodimus.inline')
local commands = require('rodimus.commands')

local M = {}

function M.setup(opts)
  local config = config_module.resolve(opts)
  vim.cmd('highlight default link RodimusGhostText Comment')
  commands.register(config)

  local function on_attach(client, bufnr)
    inline.attach(bufnr, client, config)
    if config.on_attach then
      config.on_attach(client, bufnr)
    end
  end

  local group = vim.api.nvim_create_augroup('rodimus', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = config.filetypes,
    callback = function(args)
      rodimus_client.attach(args.buf, config, on_attach)
    end,
  })
  -- Buffers opened before setup() ran.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(config.filetypes, vim.bo[bufnr].filetype) then
      rodimus_client.attach(bufnr, config, on_attach)
    end
  end
end

--- Accepts the shown inline suggestion; false when none is shown (use it in your own mapping).
M.accept = inline.accept
--- Hides the shown inline suggestion; false when none is shown.
M.dismiss = inline.dismiss
--- Asks for an inline suggestion at the cursor now.
M.trigger = inline.trigger
M.fix = commands.fix
M.search = commands.search
M.reindex = commands.reindex

return M
