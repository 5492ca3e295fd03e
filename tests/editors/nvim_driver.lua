-- Drives a headless Neovim with the rodimus plugin against the real server and writes what it saw
-- to a JSON file for tests/editors/test_neovim.py. Runs on Neovim 0.7+ (no `nvim -l`, so it is
-- loaded with `-c 'luafile ...'`). Settings come from the JSON file named by $RODIMUS_TEST_CONFIG:
-- { plugin_dir, root, cmd, cache_dir, out, timeout_ms }.
local cfg = vim.json.decode(table.concat(vim.fn.readfile(os.getenv('RODIMUS_TEST_CONFIG')), '\n'))
local results = { steps = {}, notifications = {} }

-- Positions in the fixture project (0-based rows).
local APP_CALL_ROW, APP_CALL_COL = 5, 10 -- `area` in `print(area(width, height))`
local APP_TODO_ROW = 4                   -- `# TODO: ...`

local function wait(ms, predicate)
  return vim.wait(ms, predicate, 50)
end

local function start_plugin()
  vim.opt.runtimepath:prepend(cfg.plugin_dir)
  vim.cmd('filetype on')
  require('rodimus').setup({
    cmd = cfg.cmd,
    root_dir = cfg.root,
    init_options = { index = { cacheDir = cfg.cache_dir } },
    inline = { debounce_ms = 50 },
  })
  results.commands = {
    RodimusFix = vim.fn.exists(':RodimusFix') == 2,
    RodimusSearch = vim.fn.exists(':RodimusSearch') == 2,
    RodimusReindex = vim.fn.exists(':RodimusReindex') == 2,
  }
end

--- Opens app.py and waits for the client; returns the buffer and client, or nil.
local function open_app()
  vim.cmd('edit ' .. vim.fn.fnameescape(cfg.root .. '/app.py'))
  local app = vim.api.nvim_get_current_buf()
  results.filetype = vim.bo[app].filetype
  local rodimus_client = require('rodimus.client')
  results.initialized = wait(cfg.timeout_ms, function()
    local client = rodimus_client.get(app)
    return client ~= nil and client.initialized == true
  end)
  if not results.initialized then
    results.error = 'the rodimus client did not initialize (server command: ' .. table.concat(cfg.cmd, ' ') .. ')'
    return nil
  end
  local client = rodimus_client.get(app)
  results.inline_provider = client.server_capabilities.inlineCompletionProvider ~= nil
  results.offset_encoding = client.offset_encoding
  return app, client
end

local function hover(app)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(app) },
    position = { line = APP_CALL_ROW, character = APP_CALL_COL },
  }
  -- Indexing runs in the background after initialize: ask until the graph knows the symbol.
  wait(cfg.timeout_ms, function()
    for _, response in pairs(vim.lsp.buf_request_sync(app, 'textDocument/hover', params, 5000) or {}) do
      local contents = response.result and response.result.contents
      if contents then
        results.hover = type(contents) == 'string' and contents or contents.value or vim.json.encode(contents)
        return results.hover:find('area', 1, true) ~= nil
      end
      results.hover_error = response.err and response.err.message
    end
    return false
  end)
end

local function definition(app)
  vim.api.nvim_win_set_cursor(0, { APP_CALL_ROW + 1, APP_CALL_COL })
  vim.lsp.buf.definition()
  local jumped = wait(10000, function()
    return vim.api.nvim_get_current_buf() ~= app
  end)
  results.definition = {
    jumped = jumped,
    file = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(0), ':t'),
    line = vim.api.nvim_win_get_cursor(0)[1],
  }
  vim.cmd('buffer ' .. app)
end

local function code_actions(app)
  local line = vim.api.nvim_buf_get_lines(app, APP_TODO_ROW, APP_TODO_ROW + 1, false)[1]
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(app) },
    range = { start = { line = APP_TODO_ROW, character = 0 }, ['end'] = { line = APP_TODO_ROW, character = #line } },
    context = { diagnostics = {} },
  }
  results.code_actions = {}
  for _, response in pairs(vim.lsp.buf_request_sync(app, 'textDocument/codeAction', params, 10000) or {}) do
    for _, action in ipairs(response.result or {}) do
      table.insert(results.code_actions, action.title)
    end
  end
end

--- Runs `run(on_result)` (a plugin command) and waits for its result or its error notification.
local function command_result(key, run)
  local notified = #results.notifications
  run(function(result)
    results[key] = result
  end)
  wait(cfg.timeout_ms, function()
    return results[key] ~= nil or #results.notifications > notified
  end)
end

local function server_commands(app)
  local rodimus = require('rodimus')
  command_result('reindex', function(on_result)
    rodimus.reindex({ on_result = on_result })
  end)
  command_result('search_hits', function(on_result)
    rodimus.search('area of a rectangle', { k = 5, on_result = function(hits)
      on_result(#(hits or {}))
    end })
  end)
  results.search_files = {}
  for _, item in ipairs(vim.fn.getqflist()) do
    table.insert(results.search_files, vim.api.nvim_buf_get_name(item.bufnr):sub(#cfg.root + 2))
  end
  vim.cmd('cclose')
  vim.cmd('buffer ' .. app)
end

--- What is drawn: the extmark of the plugin's ghost text (or of the built-in UI on 0.12+).
local function shown_text(bufnr)
  local namespaces = vim.api.nvim_get_namespaces()
  local namespace = namespaces['rodimus_ghost'] or namespaces['nvim.lsp.inline_completion']
  for _, mark in ipairs(namespace and vim.api.nvim_buf_get_extmarks(bufnr, namespace, 0, -1, { details = true }) or {}) do
    local details = mark[4]
    if details.virt_text and details.virt_text[1] then
      local lines = { details.virt_text[1][1] }
      for _, virt_line in ipairs(details.virt_lines or {}) do
        lines[#lines + 1] = virt_line[1] and virt_line[1][1] or ''
      end
      return table.concat(lines, '\n')
    end
  end
end

--- Types in insert mode for real at the end of the last line (`    return`): the plugin's
--- autocommands debounce and send the request, the ghost text appears, and <Tab> inserts it.
--- A timer watches, since feedkeys() with 'x!' stays in insert mode until the timer leaves it.
local function inline_completion(app)
  local last_row = vim.api.nvim_buf_line_count(app)
  vim.api.nvim_win_set_cursor(0, { last_row, 0 })
  local function line_now()
    return vim.api.nvim_buf_get_lines(app, last_row - 1, last_row, false)[1]
  end
  local deadline = vim.loop.now() + cfg.timeout_ms
  local line_before
  local timer = vim.loop.new_timer()
  timer:start(100, 100, vim.schedule_wrap(function()
    local done = vim.loop.now() > deadline
    if not results.inline_text then
      local text = shown_text(app)
      if text then
        results.inline_text = text
        results.inline_mode = vim.api.nvim_get_mode().mode
        line_before = line_now()
        vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<Tab>', true, false, true), 'm', false)
      end
    elseif line_now() ~= line_before then
      results.lines_after_accept = vim.api.nvim_buf_get_lines(app, last_row - 1, -1, false)
      results.cursor_after_accept = vim.api.nvim_win_get_cursor(0)
      done = true
    end
    if done then
      timer:stop()
      timer:close()
      vim.cmd('stopinsert')
    end
  end))
  vim.api.nvim_feedkeys('A ', 'x!', false)
  results.mode_after_typing = vim.api.nvim_get_mode().mode
  results.shown_after_insert_leave = shown_text(app) or false
end

local function main()
  vim.notify = function(message)
    table.insert(results.notifications, message)
  end
  local version = vim.version()
  results.nvim_version = ('%d.%d.%d'):format(version.major, version.minor, version.patch)
  local function run(name, fn, ...)
    table.insert(results.steps, name)
    return fn(...)
  end
  run('start plugin', start_plugin)
  local app, client = run('open app.py', open_app)
  if not app then
    return
  end
  run('hover', hover, app)
  run('definition', definition, app)
  run('code actions', code_actions, app)
  run('server commands', server_commands, app)
  -- The plugin turns inline completion on only when the server offers it.
  if results.inline_provider then
    run('inline completion', inline_completion, app)
  end
  vim.lsp.stop_client(client.id)
  results.stopped = wait(5000, function()
    return vim.lsp.get_client_by_id(client.id) == nil
  end)
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  results.error = err
end
local file = assert(io.open(cfg.out, 'w'))
file:write(vim.json.encode(results))
file:close()
vim.cmd('qa!')
