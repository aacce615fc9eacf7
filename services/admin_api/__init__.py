"""wxhub admin_api service."""
