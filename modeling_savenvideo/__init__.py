"""SAVEnVideo remote code: configuration and modeling files, flat, relative imports only (copied by save_pretrained)."""
