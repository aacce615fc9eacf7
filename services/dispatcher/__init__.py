"""wxhub dispatcher service."""
