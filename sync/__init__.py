"""Sync to head office: the uploader, its HTTP client and the reference receiver."""
