-- Unit checks of the rodimus plugin's pure parts inside a headless Neovim (no server): option
-- merging, LSP character -> byte conversion, and ghost text placement/acceptance with ranges and
-- non-ASCII text. Loaded with `-c 'luafile ...'`; $RODIMUS_PLUGIN_DIR is editors/neovim.
-- Exits 0 when every check passes, else prints the failures and exits 1.
vim.opt.runtimepath:prepend(os.getenv('RODIMUS_PLUGIN_DIR'))

local failures = {}
local function check(name, fn)
  local ok, err = pcall(fn)
  if not ok then
    table.insert(failures, name .. ': ' .. tostring(err))
  end
end

local function eq(expected, actual, what)
  if not vim.deep_equal(expected, actual) then
    error(('%s: expected %s, got %s'):format(what or 'value', vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

local config = require('rodimus.config')
local compat = require('rodimus.compat')
local ghost = require('rodimus.ghost')

check('lists in options replace the defaults', function()
  local resolved = config.resolve({ cmd = { '/venv/bin/rodimus-lsp' }, filetypes = { 'python' } })
  eq({ '/venv/bin/rodimus-lsp' }, resolved.cmd, 'cmd')
  eq({ 'python' }, resolved.filetypes, 'filetypes')
end)

check('nested options merge key by key', function()
  local resolved = config.resolve({ inline = { debounce_ms = 40 }, keymaps = { accept = '<C-y>', trigger = false } })
  eq(40, resolved.inline.debounce_ms, 'debounce_ms')
  eq(true, resolved.inline.enabled, 'inline.enabled')
  eq('<C-y>', resolved.keymaps.accept, 'accept')
  eq('<C-]>', resolved.keymaps.dismiss, 'dismiss')
  eq(false, resolved.keymaps.trigger, 'trigger')
  eq({ 'rodimus-lsp', 'serve' }, config.defaults.cmd, 'defaults untouched')
end)

check('init_options pass through in the server shape', function()
  local options = { model = { path = '/m', device = 'cpu' }, completion = { maxTokens = 32 }, index = { exclude = { 'build/**' } } }
  eq(options, config.resolve({ init_options = options }).init_options, 'init_options')
end)

check('unknown options and wrong types are rejected', function()
  eq(false, (pcall(config.resolve, { comand = { 'x' } })), 'typo accepted')
  eq(false, (pcall(config.resolve, { cmd = 'rodimus-lsp serve' })), 'string cmd accepted')
  eq(false, (pcall(config.resolve, { root_dir = 3 })), 'numeric root_dir accepted')
end)

check('LSP characters become byte columns in every encoding', function()
  local line = 'é = "𝒳" + x' -- é: 2 bytes, 1 UTF-16 unit; 𝒳: 4 bytes, 2 UTF-16 units
  eq(2, compat.byte_col(line, 1, 'utf-16'), 'after é (utf-16)')
  eq(11, compat.byte_col(line, 8, 'utf-16'), 'after 𝒳" (utf-16)')
  eq(11, compat.byte_col(line, 7, 'utf-32'), 'after 𝒳" (utf-32)')
  eq(5, compat.byte_col(line, 5, 'utf-8'), 'utf-8')
  eq(#line, compat.byte_col(line, 99, 'utf-16'), 'past the end')
end)

-- A scratch buffer in the current window with `lines`, the cursor at (row 1-based, byte col).
local function buffer_with(lines, row, col)
  local bufnr = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, lines)
  vim.api.nvim_win_set_buf(0, bufnr)
  vim.api.nvim_win_set_cursor(0, { row, col })
  return bufnr
end

local function drawn(bufnr)
  local marks = vim.api.nvim_buf_get_extmarks(bufnr, ghost.namespace, 0, -1, { details = true })
  local out = {}
  for _, mark in ipairs(marks) do
    local lines = { mark[4].virt_text[1][1] }
    for _, virt_line in ipairs(mark[4].virt_lines or {}) do
      lines[#lines + 1] = virt_line[1][1]
    end
    out[#out + 1] = { row = mark[2], col = mark[3], text = table.concat(lines, '\n') }
  end
  return out
end

local client = { id = 1, offset_encoding = 'utf-16' }
-- Let the normal-mode cursor sit after the last character, as it does in insert mode.
vim.o.virtualedit = 'onemore'

check('an item without range is drawn and inserted at the cursor', function()
  local bufnr = buffer_with({ 'def f(x):', '    return ' }, 2, 11)
  eq(true, ghost.show(bufnr, client, { insertText = 'x * 2\n\n# end' }), 'shown')
  eq({ { row = 1, col = 11, text = 'x * 2\n\n# end' } }, drawn(bufnr), 'extmark')
  eq(true, ghost.accept(bufnr), 'accepted')
  eq({ 'def f(x):', '    return x * 2', '', '# end' }, vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), 'buffer')
  eq({ 4, 5 }, vim.api.nvim_win_get_cursor(0), 'cursor')
  eq({}, drawn(bufnr), 'ghost gone')
end)

check('a range that starts before the cursor shows only the untyped rest (utf-16, non-ASCII)', function()
  -- "    naïve_" typed; the item replaces from column 4 (UTF-16) to the cursor.
  local line = '    naïve_'
  local bufnr = buffer_with({ line }, 1, #line)
  local item = {
    insertText = 'naïve_sum(values)',
    range = { start = { line = 0, character = 4 }, ['end'] = { line = 0, character = 10 } },
  }
  eq(true, ghost.show(bufnr, client, item), 'shown')
  eq('sum(values)', ghost.text(bufnr), 'display')
  eq({ { row = 0, col = #line, text = 'sum(values)' } }, drawn(bufnr), 'extmark')
  ghost.accept(bufnr)
  eq({ '    naïve_sum(values)' }, vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), 'buffer')
  eq({ 1, #'    naïve_sum(values)' }, vim.api.nvim_win_get_cursor(0), 'cursor')
end)

check('an item that does not continue the typed text is not drawn', function()
  local bufnr = buffer_with({ '    total' }, 1, 9)
  local item = { insertText = 'count = 0', range = { start = { line = 0, character = 4 }, ['end'] = { line = 0, character = 9 } } }
  eq(false, ghost.show(bufnr, client, item), 'shown')
  eq(false, ghost.visible(bufnr), 'visible')
  eq(false, ghost.accept(bufnr), 'accept without suggestion')
end)

check('snippet items are drawn as plain text', function()
  local bufnr = buffer_with({ 'x = ' }, 1, 4)
  eq(true, ghost.show(bufnr, client, { insertText = { kind = 'snippet', value = 'max(${1:a}, $2)$0' } }), 'shown')
  eq('max(a, )', ghost.text(bufnr), 'display')
  ghost.dismiss(bufnr)
  eq({}, drawn(bufnr), 'dismissed')
end)

if #failures > 0 then
  io.stderr:write(table.concat(failures, '\n') .. '\n')
  vim.cmd('cquit 1')
else
  vim.cmd('qa!')
end
