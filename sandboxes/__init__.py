"""Loopback stand-ins for what lies outside the company: WeChat API, SMS gateway, core system."""
