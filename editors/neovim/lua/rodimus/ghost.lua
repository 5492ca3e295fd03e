--- Ghost text for Neovim < 0.12: one inline completion item drawn with extmarks at the cursor
--- (first line as virt_text, the rest as virt_lines), accepted into the buffer or dismissed.
local compat = require('rodimus.compat')

local M = {}

local namespace = vim.api.nvim_create_namespace('rodimus_ghost')
M.namespace = namespace

--- bufnr -> { extmark, text, start_row, start_col, end_row, end_col, command, client_id }
local shown = {}

--- Snippet items are shown and inserted as plain text: placeholders keep their default text.
local function plain_text(insert_text)
  if type(insert_text) == 'string' then
    return insert_text
  end
  local text = insert_text.value or ''
  text = text:gsub('%${%d+:([^}]*)}', '%1'):gsub('%${%d+}', ''):gsub('%$%d+', '')
  return text
end

local function buf_line(bufnr, row)
  return vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1]
end

--- Where `item` applies, in 0-based rows and byte columns; without a range, at the cursor.
local function item_span(bufnr, item, cursor_row, cursor_col, encoding)
  if not item.range then
    return cursor_row, cursor_col, cursor_row, cursor_col
  end
  local s, e = item.range['start'], item.range['end']
  local start_line, end_line = buf_line(bufnr, s.line), buf_line(bufnr, e.line)
  if not start_line or not end_line then
    return nil
  end
  return s.line, compat.byte_col(start_line, s.character, encoding), e.line, compat.byte_col(end_line, e.character, encoding)
end

function M.dismiss(bufnr)
  if shown[bufnr] then
    pcall(vim.api.nvim_buf_clear_namespace, bufnr, namespace, 0, -1)
    shown[bufnr] = nil
  end
end

function M.visible(bufnr)
  return shown[bufnr] ~= nil
end

--- The text a suggestion would add after the cursor (nil when none is shown).
function M.text(bufnr)
  local current = shown[bufnr]
  return current and current.display or nil
end

--- Shows `item` (an InlineCompletionItem) at the cursor of the current window; returns true
--- when something was drawn. Items that do not continue what is typed before the cursor are skipped.
function M.show(bufnr, client, item)
  M.dismiss(bufnr)
  local cursor = vim.api.nvim_win_get_cursor(0)
  local row, col = cursor[1] - 1, cursor[2]
  local start_row, start_col, end_row, end_col = item_span(bufnr, item, row, col, client.offset_encoding)
  if not start_row or start_row ~= row or start_col > col then
    return false
  end
  local text = plain_text(item.insertText)
  local typed = buf_line(bufnr, row):sub(start_col + 1, col)
  if text:sub(1, #typed) ~= typed then
    return false
  end
  local display = text:sub(#typed + 1)
  if display == '' then
    return false
  end
  local lines = vim.split(display, '\n', { plain = true })
  local virt_lines = {}
  for i = 2, #lines do
    virt_lines[#virt_lines + 1] = { { lines[i], 'RodimusGhostText' } }
  end
  local at_eol = col >= #buf_line(bufnr, row)
  local position = compat.has('0.10') and 'inline' or (at_eol and 'overlay' or 'eol')
  local extmark = vim.api.nvim_buf_set_extmark(bufnr, namespace, row, col, {
    virt_text = { { lines[1], 'RodimusGhostText' } },
    virt_text_pos = position,
    virt_lines = #virt_lines > 0 and virt_lines or nil,
    hl_mode = 'combine',
  })
  shown[bufnr] = {
    extmark = extmark,
    display = display,
    text = text,
    start_row = start_row,
    start_col = start_col,
    end_row = end_row,
    end_col = end_col,
    command = item.command,
    client_id = client.id,
  }
  return true
end

--- Inserts the shown suggestion and puts the cursor after it; returns false when none is shown.
function M.accept(bufnr)
  local current = shown[bufnr]
  if not current then
    return false
  end
  M.dismiss(bufnr)
  local lines = vim.split(current.text, '\n', { plain = true })
  vim.api.nvim_buf_set_text(bufnr, current.start_row, current.start_col, current.end_row, current.end_col, lines)
  local last_col = (#lines == 1 and current.start_col or 0) + #lines[#lines]
  local win = vim.fn.bufwinid(bufnr)
  if win ~= -1 then
    vim.api.nvim_win_set_cursor(win, { current.start_row + #lines, last_col })
  end
  local client = current.command and vim.lsp.get_client_by_id(current.client_id)
  if client then
    local command = { command = current.command.command, arguments = current.command.arguments }
    compat.request(client, 'workspace/executeCommand', command, function() end, bufnr)
  end
  return true
end

return M
