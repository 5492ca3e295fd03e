--- Inline completions in a buffer. Neovim 0.12+: the built-in vim.lsp.inline_completion.
--- Older versions: debounced `textDocument/inlineCompletion` requests while typing (the newest
--- cancels the older one), the first item drawn as ghost text, dismissed on cursor move or
--- InsertLeave.
local compat = require('rodimus.compat')
local ghost = require('rodimus.ghost')
local rodimus_client = require('rodimus.client')

local M = {}

local TRIGGER_INVOKED, TRIGGER_AUTOMATIC = 1, 2

--- bufnr -> { timer, pending = { client, id }, seq }
local buffers = {}

function M.native_available()
  return compat.has('0.12') and vim.lsp.inline_completion ~= nil
end

local function stop_timer(state)
  if state.timer then
    state.timer:stop()
    state.timer:close()
    state.timer = nil
  end
end

local function cancel_pending(state)
  if state.pending then
    compat.cancel(state.pending.client, state.pending.id)
    state.pending = nil
  end
end

--- Asks the server for completions at the cursor of the current window, which must show `bufnr`.
--- `callback(items, err)` runs with the items when the buffer and cursor are still where they
--- were; a newer request for the same buffer supersedes this one.
function M.fetch(bufnr, trigger_kind, callback)
  local state = buffers[bufnr]
  local client = rodimus_client.get(bufnr)
  if not state or not client then
    return false
  end
  cancel_pending(state)
  state.seq = state.seq + 1
  local seq = state.seq
  local tick = vim.api.nvim_buf_get_changedtick(bufnr)
  local cursor = vim.api.nvim_win_get_cursor(0)
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  params.context = { triggerKind = trigger_kind }
  local ok, request_id = compat.request(client, 'textDocument/inlineCompletion', params, function(err, result)
    if state.seq ~= seq then
      return
    end
    state.pending = nil
    if err then
      callback(nil, err)
      return
    end
    local now = vim.api.nvim_win_get_cursor(0)
    local same_place = vim.api.nvim_get_current_buf() == bufnr
      and vim.api.nvim_buf_get_changedtick(bufnr) == tick
      and now[1] == cursor[1] and now[2] == cursor[2]
    if same_place then
      callback(result and (result.items or result) or {}, nil)
    end
  end, bufnr)
  if ok then
    state.pending = { client = client, id = request_id }
  end
  return ok
end

--- Requests now and shows the first usable item as ghost text. (With the built-in UI of 0.12+,
--- Neovim itself requests while typing; this then does nothing.)
function M.trigger(bufnr, trigger_kind)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not buffers[bufnr] or buffers[bufnr].native then
    return
  end
  trigger_kind = trigger_kind or TRIGGER_INVOKED
  M.fetch(bufnr, trigger_kind, function(items, err)
    if err then
      local message = 'rodimus: inline completion failed: ' .. (err.message or vim.inspect(err))
      if trigger_kind == TRIGGER_INVOKED then
        vim.notify(message, vim.log.levels.WARN)
      else
        require('vim.lsp.log').warn(message)
      end
      return
    end
    local client = rodimus_client.get(bufnr)
    for _, item in ipairs(items) do
      if client and ghost.show(bufnr, client, item) then
        return
      end
    end
  end)
end

local function on_typing(bufnr, debounce_ms)
  local state = buffers[bufnr]
  ghost.dismiss(bufnr)
  cancel_pending(state)
  stop_timer(state)
  state.timer = vim.loop.new_timer()
  state.timer:start(debounce_ms, 0, vim.schedule_wrap(function()
    stop_timer(state)
    if vim.api.nvim_get_current_buf() == bufnr and vim.api.nvim_get_mode().mode:sub(1, 1) == 'i' then
      M.trigger(bufnr, TRIGGER_AUTOMATIC)
    end
  end))
end

local function on_leave(bufnr)
  local state = buffers[bufnr]
  stop_timer(state)
  cancel_pending(state)
  ghost.dismiss(bufnr)
end

--- Accepts the shown suggestion; false when there is none (so a mapping can fall back).
function M.accept(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local state = buffers[bufnr]
  if state and state.native then
    return vim.lsp.inline_completion.get({ bufnr = bufnr })
  end
  if not ghost.visible(bufnr) then
    return false
  end
  -- Text cannot change inside an <expr> mapping: insert right after it returns.
  vim.schedule(function()
    ghost.accept(bufnr)
  end)
  return true
end

--- Hides the shown suggestion; false when there is none.
function M.dismiss(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not ghost.visible(bufnr) then
    return false
  end
  on_leave(bufnr)
  return true
end

--- Maps `lhs` in insert mode to `action` (returns true when it acted), else types `lhs` itself.
local function map_or_type(bufnr, lhs, action, desc)
  if not lhs then
    return
  end
  vim.keymap.set('i', lhs, function()
    if action(bufnr) then
      return ''
    end
    return lhs
  end, { buffer = bufnr, expr = true, desc = desc })
end

--- Turns inline completion on for `bufnr` when the server offers it.
function M.attach(bufnr, client, config)
  local offered = (client.server_capabilities or {}).inlineCompletionProvider
  if buffers[bufnr] or not config.inline.enabled or not offered then
    return
  end
  local native = config.inline.native and M.native_available()
  buffers[bufnr] = { seq = 0, native = native }
  map_or_type(bufnr, config.keymaps.accept, M.accept, 'rodimus: accept the inline suggestion')
  if native then
    vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
    return
  end
  map_or_type(bufnr, config.keymaps.dismiss, M.dismiss, 'rodimus: dismiss the inline suggestion')
  if config.keymaps.trigger then
    vim.keymap.set('i', config.keymaps.trigger, function()
      M.trigger(bufnr, TRIGGER_INVOKED)
    end, { buffer = bufnr, desc = 'rodimus: ask for an inline suggestion' })
  end
  local group = vim.api.nvim_create_augroup('rodimus_inline_' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd({ 'InsertEnter', 'TextChangedI', 'CursorMovedI' }, {
    group = group,
    buffer = bufnr,
    callback = function()
      on_typing(bufnr, config.inline.debounce_ms)
    end,
  })
  vim.api.nvim_create_autocmd({ 'InsertLeave', 'BufLeave', 'CursorMoved' }, {
    group = group,
    buffer = bufnr,
    callback = function()
      on_leave(bufnr)
    end,
  })
  vim.api.nvim_create_autocmd('BufUnload', {
    group = group,
    buffer = bufnr,
    callback = function()
      on_leave(bufnr)
      buffers[bufnr] = nil
      pcall(vim.api.nvim_del_augroup_by_id, group)
    end,
  })
end

return M
