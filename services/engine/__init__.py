"""wxhub engine service."""
