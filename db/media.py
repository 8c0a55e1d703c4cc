"""The content-addressed media folder: audio lives at <media>/<aa>/<sha256>.<ext>."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from db.access import AccessDenied, active_actor, can_see_call
from db.config import settings
from db.engine import read_scope
from db.models import Call, User

CHUNK = 1 << 20


def extension_for(container: str, codec: str = "") -> str:
    """File extension for a container/codec as soundfile names them ("OGG"/"OPUS" → opus)."""
    if container.upper() == "OGG" and codec.upper() == "OPUS":
        return "opus"
    return {
        "WAV": "wav",
        "WAVEX": "wav",
        "OGG": "ogg",
        "MP3": "mp3",
        "MPEG": "mp3",
        "FLAC": "flac",
    }.get(container.upper(), container.lower())


def media_root() -> Path:
    return settings().media_dir


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def store_file(source: Path, sha256: str, extension: str) -> str:
    """Copy `source` into the media folder under its hash; returns the relative path."""
    relative = f"{sha256[:2]}/{sha256}.{extension}"
    target = media_root() / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # A partial name of its own: two processes may store the same recording at once.
        fd, partial_name = tempfile.mkstemp(dir=target.parent, suffix=".partial")
        os.close(fd)
        partial = Path(partial_name)
        try:
            shutil.copyfile(source, partial)
            partial.replace(target)  # atomic: never half a file under the hash name
        finally:
            partial.unlink(missing_ok=True)
    return relative


def audio_path_for_grant(call_id: int, user_id: int) -> Path | None:
    """The file behind a call, for the audio route, checked against the grant's user as
    they are NOW: a link signed before its user was deactivated, or moved off the call's
    team, is refused (AccessDenied) though its signature is still good. None when the
    call or its file is missing."""
    with read_scope() as session:
        actor = active_actor(session.get(User, user_id))
        call = session.get(Call, call_id)
        if call is None:
            return None
        if not can_see_call(session, actor, call):
            raise AccessDenied("You may no longer hear this call.")
        path = (media_root() / call.audio_path).resolve()
        if not path.is_relative_to(media_root().resolve()) or not path.exists():
            return None
        return path
