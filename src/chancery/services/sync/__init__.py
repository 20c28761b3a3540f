"""/sync: the request, room sections, pacing of long-polls."""
