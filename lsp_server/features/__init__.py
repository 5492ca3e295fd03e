"""LSP features as plain async functions of (ls, params); `server.build_server` registers them."""
