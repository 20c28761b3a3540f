"""Issue 16 conformance, second part: content reports, VoIP TURN credentials, OpenID tokens, login tokens,
whois and the other small client-server API endpoints real clients and conformance suites call."""
