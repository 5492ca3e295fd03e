"""One module per `rodimus-lsp` subcommand; see `lsp_server.cli` for the contract and the registry."""
