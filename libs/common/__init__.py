"""Code shared by every wxhub service: settings, bus, schemas, database, WeChat protocol."""
