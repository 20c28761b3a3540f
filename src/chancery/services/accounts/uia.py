"""User-interactive authentication (client-server API: user-interactive authentication API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...clock import Clock, Randomness
from ...errors import MatrixError, bad_json
from ...storage import Storage
from .auth import AuthService

SESSION_LIFETIME_MS = 15 * 60_000


@dataclass(frozen=True)
class UiaResult:
    """What a completed flow proved: the stages done and, for registration, the token used."""

    completed: list[str]
    registration_token: str | None = None


class UiaRequired(MatrixError):
    """401 carrying the flows still to complete; a failed stage adds errcode and error to the body."""

    def __init__(self, body: dict[str, Any], errcode: str | None = None, error: str | None = None) -> None:
        super().__init__(401, errcode or "M_UNAUTHORIZED", error or "Additional authentication required", **body)
        self.failed_stage = errcode is not None

    def to_json(self) -> dict[str, Any]:
        body = super().to_json()
        if not self.failed_stage:
            body.pop("errcode")
            body.pop("error")
        return body


class UiaService:
    def __init__(self, storage: Storage, auth: AuthService, clock: Clock, randomness: Randomness) -> None:
        self.storage = storage
        self.auth = auth
        self.clock = clock
        self.randomness = randomness

    async def authenticate(
        self,
        body: dict[str, Any],
        flows: list[list[str]],
        purpose: str,
        user_id: str | None,
        params: dict[str, Any] | None = None,
    ) -> UiaResult:
        """Run one step of UIA. Returns when a flow is complete; otherwise raises UiaRequired (401)."""
        auth = body.get("auth")
        if auth is not None and not isinstance(auth, dict):
            raise bad_json("auth must be an object")
        now = self.clock.now_ms()
        session_id = auth.get("session") if auth else None
        completed: list[str] = []
        token_used: str | None = None
        if session_id is not None:
            if not isinstance(session_id, str):
                raise bad_json("auth.session must be a string")
            session = await self.storage.users.get_uia_session(session_id)
            if session is None or now - session[4] > SESSION_LIFETIME_MS:
                raise MatrixError(400, "M_UNKNOWN", "Unknown or expired UIA session")
            session_purpose, session_user, completed, params, _created = session
            if session_purpose != purpose or session_user != user_id:
                raise MatrixError(400, "M_UNKNOWN", "UIA session was started for another request")
            token_used = params.get("registration_token")
        else:
            session_id = self.randomness.token(18)
            await self.storage.users.delete_uia_sessions_before(now - SESSION_LIFETIME_MS)
            await self.storage.users.create_uia_session(session_id, purpose, user_id, {}, now)

        def challenge(errcode: str | None = None, error: str | None = None) -> UiaRequired:
            body_out = {
                "flows": [{"stages": stages} for stages in flows],
                "params": params or {},
                "session": session_id,
            }
            if completed:
                body_out["completed"] = completed
            return UiaRequired(body_out, errcode, error)

        if auth is not None and "type" in auth:
            stage = auth.get("type")
            allowed = {s for stages in flows for s in stages}
            if stage not in allowed:
                raise challenge("M_UNRECOGNIZED", f"Authentication type {stage} is not offered")
            ok, token = await self._check_stage(str(stage), auth, user_id)
            if not ok:
                raise challenge("M_FORBIDDEN", "Authentication failed")
            if token is not None:
                token_used = token
                await self.storage.users.set_uia_params(session_id, {"registration_token": token})
            if stage not in completed:
                completed = [*completed, str(stage)]
                await self.storage.users.set_uia_completed(session_id, completed)
        for stages in flows:
            if all(s in completed for s in stages):
                await self.storage.users.delete_uia_session(session_id)
                return UiaResult(completed, token_used)
        raise challenge()

    async def _check_stage(self, stage: str, auth: dict[str, Any], user_id: str | None) -> tuple[bool, str | None]:
        if stage in ("m.login.dummy", "m.login.terms"):
            # m.login.terms: submitting the stage is the acceptance of the terms offered in params.
            return True, None
        if stage == "m.login.password":
            identifier = auth.get("identifier", {})
            claimed = identifier.get("user") if isinstance(identifier, dict) else auth.get("user")
            password = auth.get("password")
            if user_id is None or not isinstance(password, str):
                return False, None
            if isinstance(claimed, str) and claimed not in (user_id, user_id[1:].split(":", 1)[0]):
                return False, None
            return await self.auth.check_password(user_id, password), None
        if stage == "m.login.registration_token":
            token = auth.get("token")
            if not isinstance(token, str) or not await self.registration_token_valid(token):
                return False, None
            return True, token
        return False, None

    async def registration_token_valid(self, token: str) -> bool:
        found = await self.storage.users.registration_token(self.storage.db, token)
        if found is None:
            return False
        uses_allowed, pending, completed, expiry_ts = found
        if expiry_ts is not None and expiry_ts <= self.clock.now_ms():
            return False
        return uses_allowed is None or pending + completed < uses_allowed
