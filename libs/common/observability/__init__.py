"""Logs, metrics, health endpoints and heartbeats shared by every service."""
