"""Call player: audio route, signed media tokens, Streamlit component. Waveform peaks are
computed in ``media.waveform``.

``media.signing`` and ``player.routes`` import no Streamlit page
machinery, so ``server.py`` stays light; ``call_player`` is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from media.signing import InvalidMediaToken, MediaGrant, sign_media_token, verify_media_token
from player.routes import media_routes

if TYPE_CHECKING:
    from player.component import Pin, PlayerState, call_player

__all__ = [
    "InvalidMediaToken",
    "MediaGrant",
    "Pin",
    "PlayerState",
    "call_player",
    "media_routes",
    "sign_media_token",
    "verify_media_token",
]


def __getattr__(name: str) -> Any:
    if name in {"call_player", "PlayerState", "Pin"}:
        from player import component

        return getattr(component, name)
    raise AttributeError(f"module 'player' has no attribute {name!r}")
