"""wxhub stats service."""
