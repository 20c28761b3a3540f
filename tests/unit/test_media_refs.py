"""Which of this server's media an event's content points at (events/media_refs.py)."""

from __future__ import annotations

from chancery.events.media_refs import local_media_ids


def test_attachments_thumbnails_and_encrypted_files_are_found() -> None:
    content = {
        "msgtype": "m.image",
        "url": "mxc://here/plain",
        "info": {"thumbnail_url": "mxc://here/thumb", "thumbnail_file": {"url": "mxc://here/encthumb"}},
        "file": {"url": "mxc://here/enc"},
    }
    assert local_media_ids(content, "here") == {"plain", "thumb", "encthumb", "enc"}


def test_other_servers_and_malformed_uris_are_ignored() -> None:
    content = {"url": "mxc://elsewhere/x", "info": {"thumbnail_url": "mxc://here/a/b"}, "file": "mxc://here/y"}
    assert local_media_ids(content, "here") == set()
    assert local_media_ids("not an object", "here") == set()
    assert local_media_ids({"url": "mxc://here/"}, "here") == set()
