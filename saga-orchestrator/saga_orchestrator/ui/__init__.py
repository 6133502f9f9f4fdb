"""The operator dashboard at /ui: server-rendered pages over the API's own application functions."""
