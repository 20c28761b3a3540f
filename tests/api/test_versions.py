"""/versions advertises only unstable features that are implemented, and the unstable cross-signing paths
that clients written before Matrix 1.1 call work like the stable ones."""

from __future__ import annotations

from tests.api.test_keys_support import CrossSigning
from tests.client import Api, C

UNSTABLE = "/_matrix/client/unstable"


async def test_unstable_features_are_truthful(api: Api) -> None:
    user = await api.register()
    features = (await api.ok("GET", "/_matrix/client/versions"))["unstable_features"]
    assert features["org.matrix.e2e_cross_signing"] is True
    assert features["org.matrix.msc3916.stable"] is True
    assert features["org.matrix.msc3440.stable"] is True
    # Advertised exactly when the endpoint answers (Element X relies on it).
    sliding = await api.request("POST", UNSTABLE + "/org.matrix.simplified_msc3575/sync", user, json={})
    assert features["org.matrix.simplified_msc3575"] is (sliding.errcode != "M_UNRECOGNIZED"), sliding
    # Each advertised stable-media path answers with a Matrix error for unknown media, not "unrecognised".
    media = await api.request("GET", "/_matrix/client/v1/media/download/localhost/nothing", user)
    assert media.errcode == "M_NOT_FOUND"


async def test_cross_signing_keys_upload_on_the_unstable_path(api: Api) -> None:
    alice = await api.register()
    keys = CrossSigning(alice.user_id)
    await api.ok("POST", UNSTABLE + "/keys/device_signing/upload", alice, json=keys.upload_body())
    query = await api.ok("POST", C + "/keys/query", alice, json={"device_keys": {alice.user_id: []}})
    assert query["master_keys"][alice.user_id]["keys"] == keys.key_object("master")["keys"]
    assert await api.ok("POST", UNSTABLE + "/keys/signatures/upload", alice, json={}) == {"failures": {}}
