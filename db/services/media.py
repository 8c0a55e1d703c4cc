"""Where recordings live, content-addressed as <aa>/<sha256>.<ext>: the local media folder
(the embedded default, EARSHOT_MEDIA_DIR) or an S3-compatible bucket
(EARSHOT_MEDIA_URL=s3://bucket/prefix, with endpoint, region and credentials in settings).

Both stores offer the same verbs (`MediaStore`): store a file under its name, tell a
file's size, read a byte range, list every name, fetch a copy. Readers that need a real
file (the listening analysis, recognition) call `local_audio_file`, which for a bucket
keeps a copy in a local cache (safe: a name's bytes never change).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from db.access import AccessDenied, active_actor, can_see_call
from db.engine import read_scope
from db.models import Call, User
from db.operations.config import DATA_DIR, settings

CHUNK = 1 << 20
CACHE_DIR_NAME = "media-cache"


class MediaStoreError(OSError):
    """The media store refused or failed an operation; the message says which and what
    to check (never the credentials)."""


class MediaStore(Protocol):
    @property
    def description(self) -> str: ...

    def store(self, source: Path, relative: str) -> None: ...
    def size(self, relative: str) -> int | None: ...
    def read_range(self, relative: str, start: int, end: int) -> Iterator[bytes]: ...
    def names(self) -> list[str]: ...
    def fetch(self, relative: str, target: Path) -> None: ...


@dataclass(frozen=True)
class StoredAudio:
    """A recording in a store, for the audio route: its size, its name's suffix and its
    bytes by range (`chunks(start, end)`, end inclusive)."""

    store: MediaStore
    relative: str
    size: int

    @property
    def suffix(self) -> str:
        return Path(self.relative).suffix

    def chunks(self, start: int, end: int) -> Iterator[bytes]:
        return self.store.read_range(self.relative, start, end)


def _safe_name(relative: str) -> str:
    parts = Path(relative).parts
    if not parts or Path(relative).is_absolute() or ".." in parts:
        raise MediaStoreError(f"not a media name: {relative!r}")
    return Path(relative).as_posix()


@dataclass(frozen=True)
class LocalStore:
    root: Path

    @property
    def description(self) -> str:
        return f"the media folder {self.root}"

    def path(self, relative: str) -> Path:
        return self.root / _safe_name(relative)

    def store(self, source: Path, relative: str) -> None:
        target = self.path(relative)
        if target.exists():
            return
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

    def size(self, relative: str) -> int | None:
        path = self.path(relative).resolve()
        if not path.is_relative_to(self.root.resolve()) or not path.is_file():
            return None
        return path.stat().st_size

    def read_range(self, relative: str, start: int, end: int) -> Iterator[bytes]:
        with self.path(relative).open("rb") as fh:
            fh.seek(start)
            left = end - start + 1
            while left > 0 and (chunk := fh.read(min(CHUNK, left))):
                left -= len(chunk)
                yield chunk

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.rglob("*"):
            if path.is_symlink() or not path.is_file() or path.name.endswith(".partial"):
                continue
            found.append(path.relative_to(self.root).as_posix())
        return sorted(found)

    def fetch(self, relative: str, target: Path) -> None:
        shutil.copyfile(self.path(relative), target)


@lru_cache(maxsize=8)
def _s3_client(endpoint: str, region: str, key_id: str, secret: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint or None,
        region_name=region or None,
        aws_access_key_id=key_id or None,
        aws_secret_access_key=secret or None,
        config=Config(
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
            s3={"addressing_style": "path"},
        ),
    )


def _s3_reason(exc: Exception) -> str:
    """The store's own code and message, without request ids or credentials."""
    answered: BaseException | None = exc
    if not hasattr(exc, "response") and hasattr(exc.__context__, "response"):
        answered = exc.__context__  # boto3's upload error wraps the server's answer
    response = getattr(answered, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip(": ")
    return type(exc).__name__ + (f": {exc}" if str(exc) else "")


@dataclass(frozen=True)
class S3Store:
    bucket: str
    prefix: str
    client: Any

    @property
    def description(self) -> str:
        return f"the bucket s3://{self.bucket}/{self.prefix}"

    def key(self, relative: str) -> str:
        return f"{self.prefix}{_safe_name(relative)}"

    def store(self, source: Path, relative: str) -> None:
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError

        if self.size(relative) is not None:
            return  # content-addressed: the same name holds the same bytes
        try:
            # One PUT (or a multipart upload completed as one): the object appears whole.
            self.client.upload_file(str(source), self.bucket, self.key(relative))
        except (Boto3Error, BotoCoreError, ClientError, OSError) as exc:
            raise MediaStoreError(
                f"{self.description} refused to store the recording ({_s3_reason(exc)}); "
                "nothing was saved. Check EARSHOT_MEDIA_URL, the bucket's permissions and "
                "the storage server, then try again."
            ) from exc

    def size(self, relative: str) -> int | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.key(relative))
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchKey", "NotFound"):
                return None
            raise MediaStoreError(f"{self.description}: {_s3_reason(exc)}") from exc
        except BotoCoreError as exc:
            raise MediaStoreError(f"{self.description}: {_s3_reason(exc)}") from exc
        return int(head["ContentLength"])

    def read_range(self, relative: str, start: int, end: int) -> Iterator[bytes]:
        answer = self.client.get_object(
            Bucket=self.bucket, Key=self.key(relative), Range=f"bytes={start}-{end}"
        )
        body = answer["Body"]
        try:
            while chunk := body.read(CHUNK):
                yield chunk
        finally:
            body.close()

    def names(self) -> list[str]:
        found: list[str] = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                name = str(item["Key"])[len(self.prefix) :]
                if name and not name.endswith("/"):
                    found.append(name)
        return sorted(found)

    def fetch(self, relative: str, target: Path) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.download_file(self.bucket, self.key(relative), str(target))
        except (BotoCoreError, ClientError) as exc:
            raise MediaStoreError(
                f"{self.description}: cannot read {relative} ({_s3_reason(exc)})"
            ) from exc


def parse_media_url(url: str) -> tuple[str, str]:
    """`s3://bucket/prefix` → (bucket, "prefix/"); a clear error naming the setting."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"EARSHOT_MEDIA_URL must look like s3://bucket/prefix, got {url!r}")
    prefix = parsed.path.strip("/")
    return parsed.netloc, f"{prefix}/" if prefix else ""


def media_store() -> MediaStore:
    """The configured store: the bucket when EARSHOT_MEDIA_URL is set, else the folder."""
    cfg = settings()
    if not cfg.media_url:
        return LocalStore(cfg.media_dir)
    bucket, prefix = parse_media_url(cfg.media_url)
    client = _s3_client(
        cfg.s3_endpoint, cfg.s3_region, cfg.s3_access_key_id, cfg.s3_secret_access_key
    )
    return S3Store(bucket, prefix, client)


def media_root() -> Path:
    return settings().media_dir


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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def store_file(source: Path, sha256: str, extension: str) -> str:
    """Copy `source` into the media store under its hash; returns the relative name.
    Raises MediaStoreError (an OSError) when the store refuses: the caller's transaction
    then rolls back, so no row names a recording that was not saved."""
    relative = f"{sha256[:2]}/{sha256}.{extension}"
    media_store().store(source, relative)
    return relative


CACHE_MAX_BYTES = 2 << 30  # local copies of bucket recordings kept for the workers


def local_audio_file(relative: str) -> Path:
    """A local file with the recording's bytes, for readers that decode it (listening
    analysis, recognition): the file itself in the media folder; for a bucket, a cached
    copy (fetched once, kept while the cache stays under CACHE_MAX_BYTES)."""
    store = media_store()
    if isinstance(store, LocalStore):
        return store.path(relative)
    cache = DATA_DIR / CACHE_DIR_NAME
    target = cache / _safe_name(relative)
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial_name = tempfile.mkstemp(dir=target.parent, suffix=".partial")
    os.close(fd)
    partial = Path(partial_name)
    try:
        store.fetch(relative, partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    _prune_cache(cache, keep=target)
    return target


def _prune_cache(cache: Path, keep: Path) -> None:
    files = [p for p in cache.rglob("*") if p.is_file() and not p.name.endswith(".partial")]
    total = sum(p.stat().st_size for p in files)
    for path in sorted(files, key=lambda p: p.stat().st_mtime):
        if total <= CACHE_MAX_BYTES:
            break
        if path != keep:
            total -= path.stat().st_size
            path.unlink(missing_ok=True)


def audio_path_for_grant(call_id: int, user_id: int) -> Path | StoredAudio | None:
    """The recording behind a call, for the audio route, checked against the grant's user
    as they are NOW: a link signed before its user was deactivated, or moved off the
    call's team, is refused (AccessDenied) though its signature is still good. A local
    file's path, or a bucket object's `StoredAudio` (read by range); None when the call or
    its recording is missing."""
    with read_scope() as session:
        actor = active_actor(session.get(User, user_id))
        call = session.get(Call, call_id)
        if call is None:
            return None
        if not can_see_call(session, actor, call):
            raise AccessDenied("You may no longer hear this call.")
        relative = call.audio_path
    store = media_store()
    if isinstance(store, LocalStore):
        path = (media_root() / relative).resolve()
        if not path.is_relative_to(media_root().resolve()) or not path.exists():
            return None
        return path
    try:
        size = store.size(relative)
    except MediaStoreError:
        return None
    return None if size is None else StoredAudio(store, relative, size)
