--- :RodimusFix, :RodimusSearch and :RodimusReindex: the server's workspace/executeCommand
--- commands (rodimus.fixIssue, rodimus.semanticSearch, rodimus.reindex) with a small UI each.
local compat = require('rodimus.compat')
local rodimus_client = require('rodimus.client')

local M = {}

local function notify(message, level)
  vim.notify('rodimus: ' .. message, level or vim.log.levels.INFO)
end

--- Runs a server command; `on_result(result, client)` gets its result, errors are reported here.
local function execute(command, arguments, on_result)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = rodimus_client.get(bufnr)
  if not client then
    notify('the language server is not running (open a file of a supported type first)', vim.log.levels.ERROR)
    return
  end
  local params = { command = command, arguments = arguments }
  compat.request(client, 'workspace/executeCommand', params, function(err, result)
    if err then
      notify(('%s failed: %s'):format(command, err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    on_result(result, client)
  end, bufnr)
end

local function edited_files(edit)
  local files = {}
  for uri in pairs(edit.changes or {}) do
    files[uri] = true
  end
  for _, change in ipairs(edit.documentChanges or {}) do
    local uri = change.textDocument and change.textDocument.uri or change.uri or change.newUri
    if uri then
      files[uri] = true
    end
  end
  return vim.tbl_count(files)
end

local function show_patch(patch)
  vim.cmd('botright new')
  local bufnr = vim.api.nvim_get_current_buf()
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, vim.split(patch, '\n', { plain = true }))
  vim.bo[bufnr].buftype = 'nofile'
  vim.bo[bufnr].bufhidden = 'wipe'
  vim.bo[bufnr].modifiable = false
  vim.bo[bufnr].filetype = 'diff'
  return vim.api.nvim_get_current_win()
end

--- Asks the server for a fix of `issue`, shows the patch and applies the WorkspaceEdit after the
--- user confirms. `opts.on_result(result)` (optional) also receives the server's answer.
function M.fix(issue, opts)
  opts = opts or {}
  notify('writing a fix...')
  execute('rodimus.fixIssue', { { issue = issue, apply = false } }, function(result, client)
    if opts.on_result then
      opts.on_result(result)
    end
    local edit = result and result.edit
    local count = edit and edited_files(edit) or 0
    if count == 0 then
      notify('no fix was proposed for this issue')
      return
    end
    local preview = result.patch and result.patch ~= '' and show_patch(result.patch)
    local prompt = ('Apply the proposed fix to %d file%s?'):format(count, count == 1 and '' or 's')
    vim.ui.select({ 'Apply', 'Discard' }, { prompt = prompt }, function(choice)
      if preview and vim.api.nvim_win_is_valid(preview) then
        vim.api.nvim_win_close(preview, true)
      end
      if choice == 'Apply' then
        vim.lsp.util.apply_workspace_edit(edit, client.offset_encoding)
      end
    end)
  end)
end

--- Semantic search over the code graph; the hits fill the quickfix list.
function M.search(query, opts)
  opts = opts or {}
  execute('rodimus.semanticSearch', { { query = query, k = opts.k or 20 } }, function(hits, client)
    local root = client.config.root_dir or vim.fn.getcwd()
    local items = {}
    for _, hit in ipairs(hits or {}) do
      items[#items + 1] = {
        filename = root .. '/' .. hit.path,
        lnum = hit.start_line,
        end_lnum = hit.end_line,
        col = 1,
        text = ('%s %s  (%.3f)'):format(hit.kind, hit.name, hit.score),
      }
    end
    vim.fn.setqflist({}, ' ', { title = 'rodimus: ' .. query, items = items })
    if opts.on_result then
      opts.on_result(hits)
    end
    if #items == 0 then
      notify(('nothing found for %q'):format(query))
    else
      vim.cmd('botright copen')
    end
  end)
end

--- Rebuilds the code graph of the workspace.
function M.reindex(opts)
  opts = opts or {}
  execute('rodimus.reindex', {}, function(result)
    if opts.on_result then
      opts.on_result(result)
    end
    result = result or {}
    notify(('indexed %d files in %.1f s (cache: %s)'):format(result.files or 0, result.seconds or 0, result.cache or '-'))
  end)
end

local function ask(prompt, default, then_do)
  vim.ui.input({ prompt = prompt, default = default }, function(text)
    if text and vim.trim(text) ~= '' then
      then_do(text)
    end
  end)
end

function M.register(config)
  vim.api.nvim_create_user_command('RodimusFix', function(args)
    if args.args ~= '' then
      M.fix(args.args)
    elseif args.range == 2 then
      M.fix(table.concat(vim.api.nvim_buf_get_lines(0, args.line1 - 1, args.line2, false), '\n'))
    else
      ask('Issue to fix: ', '', M.fix)
    end
  end, { nargs = '*', range = true, desc = 'rodimus: fix an issue (argument, selected lines, or prompt)' })
  vim.api.nvim_create_user_command('RodimusSearch', function(args)
    local search = function(query)
      M.search(query, { k = config.search.k })
    end
    if args.args ~= '' then
      search(args.args)
    else
      ask('Search code: ', vim.fn.expand('<cword>'), search)
    end
  end, { nargs = '*', desc = 'rodimus: semantic code search into the quickfix list' })
  vim.api.nvim_create_user_command('RodimusReindex', function()
    M.reindex()
  end, { nargs = 0, desc = 'rodimus: rebuild the code graph' })
end

return M
