"""The reference head-office receiver: Flask app, SQLite storage, waitress server."""
