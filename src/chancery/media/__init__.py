"""Media repository internals: the content-addressed disk store, the thumbnailer and safe-serving headers."""
