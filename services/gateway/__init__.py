"""wxhub gateway service."""
