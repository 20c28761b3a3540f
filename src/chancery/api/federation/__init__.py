"""Server-server API endpoints (federation itself is not offered yet; these answer other services)."""
