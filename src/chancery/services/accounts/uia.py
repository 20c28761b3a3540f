"""User-interactive authentication (client-server API: user-interactive authentication API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...clock import Clock, Randomness
from ...errors import MatrixError, bad_json
from ...storage import Storage
from .auth import AuthService

SESSION_LIFETIME_MS = 15 * 60_000


@dataclass(frozen=True)
class UiaResult:
    """What a completed flow proved: the stages done and, for registration, the token used; the session
    and the request parameters it remembers (when the caller asked to keep the session)."""

    completed: list[str]
    registration_token: str | None = None
    session_id: str = ""
    remembered: dict[str, Any] = field(default_factory=dict)


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
        stage_params: dict[str, Any] | None = None,
        *,
        remember: dict[str, Any] | None = None,
        keep_session: bool = False,
    ) -> UiaResult:
        """Run one step of UIA. Returns when a flow is complete; otherwise raises UiaRequired (401).

        `stage_params`: what the stages need to show the user (the terms of use ...), sent in every challenge.
        `remember`: request parameters the session keeps, so that later steps may leave them out (a value given
        again replaces the remembered one; None values are not remembered). They are never part of a
        challenge. `keep_session`: the session outlives its completion (see `record_outcome`)."""
        auth = body.get("auth")
        if auth is not None and not isinstance(auth, dict):
            raise bad_json("auth must be an object")
        now = self.clock.now_ms()
        session_id = auth.get("session") if auth else None
        completed: list[str] = []
        given = {key: value for key, value in (remember or {}).items() if value is not None}
        if session_id is not None:
            completed, params = await self._session(session_id, purpose, user_id, now)
            remembered = {**params.get("remembered", {}), **given}
            if remembered != params.get("remembered", {}):
                params = {**params, "remembered": remembered}
                await self.storage.users.set_uia_params(session_id, params)
        else:
            session_id = self.randomness.token(18)
            params = {"remembered": given}
            await self.storage.users.delete_uia_sessions_before(now - SESSION_LIFETIME_MS)
            await self.storage.users.create_uia_session(session_id, purpose, user_id, params, now)
        token_used: str | None = params.get("registration_token")

        def challenge(errcode: str | None = None, error: str | None = None) -> UiaRequired:
            body_out: dict[str, Any] = {
                "flows": [{"stages": stages} for stages in flows],
                "params": stage_params or {},
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
                params = {**params, "registration_token": token}
                await self.storage.users.set_uia_params(session_id, params)
            if stage not in completed:
                completed = [*completed, str(stage)]
                await self.storage.users.set_uia_completed(session_id, completed)
        for stages in flows:
            if all(s in completed for s in stages):
                if not keep_session:
                    await self.storage.users.delete_uia_session(session_id)
                return UiaResult(completed, token_used, session_id, params.get("remembered", {}))
        raise challenge()

    async def _session(
        self, session_id: Any, purpose: str, user_id: str | None, now: int
    ) -> tuple[list[str], dict[str, Any]]:
        """The stages completed in a live session of this purpose and user, and its parameters."""
        if not isinstance(session_id, str):
            raise bad_json("auth.session must be a string")
        session = await self.storage.users.get_uia_session(session_id)
        if session is None or now - session[4] > SESSION_LIFETIME_MS:
            raise MatrixError(400, "M_UNKNOWN", "Unknown or expired UIA session")
        session_purpose, session_user, completed, params, _created = session
        if session_purpose != purpose or session_user != user_id:
            raise MatrixError(400, "M_UNKNOWN", "UIA session was started for another request")
        return completed, params

    async def record_outcome(self, session_id: str, outcome: str) -> None:
        """What a kept session's completed request did (for registration: the user ID it created)."""
        session = await self.storage.users.get_uia_session(session_id)
        if session is not None:
            await self.storage.users.set_uia_params(session_id, {**session[3], "outcome": outcome})

    async def outcome_of(self, body: dict[str, Any], purpose: str) -> str | None:
        """The recorded outcome of the live session `body` continues, if its request already completed: a
        client that repeats the completing request (a lost response) gets the same result again."""
        auth = body.get("auth")
        if not isinstance(auth, dict) or "session" not in auth:
            return None
        _completed, params = await self._session(auth["session"], purpose, None, self.clock.now_ms())
        outcome = params.get("outcome")
        return outcome if isinstance(outcome, str) else None

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
