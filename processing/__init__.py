"""SAVEnVideo processor remote code: flat modules, relative imports only (copied by save_pretrained)."""
