"""Recording files on disk (issue 16, P11, P22): where a recording's file is, how long.

Rule 1: a recording's file is `directory / file`, and only when `file` is a name the core
makes (cti/domain/recording.py rule 2, the pattern call control checks too) and the path
resolves under `directory`: anything else is no file, so an API can never be led to read
or delete outside it.
Rule 2: a WAV's length is its data over its byte rate; the data is taken from the file's
size when the header says none (MixMonitor writes the sizes when it closes the file).
Rule 3: disk work runs in a thread (asyncio.to_thread): nothing blocks the event loop.
"""

from __future__ import annotations

import asyncio
import os
import wave
from pathlib import Path
from typing import Final

from cti.domain.recording import NAMED, ROOT

HEADER: Final = 44  # bytes of the canonical WAV header format_wav writes


class RecordingFiles:
    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def path(self, file: str) -> Path | None:
        """Rule 1: the file's path, or None for a name the core does not make."""
        if not NAMED.fullmatch(file):
            return None
        path = (self._directory / file).resolve()
        return path if path.is_relative_to(self._directory.resolve()) else None

    async def seconds(self, file: str) -> float | None:
        """Rule 2: the recording's length, or None when the file is not there or not a WAV."""
        path = self.path(file)
        return None if path is None else await asyncio.to_thread(wav_seconds, path)

    async def remove(self, file: str) -> bool:
        """Deletes the file; True if it was there."""
        path = self.path(file)
        return path is not None and await asyncio.to_thread(_unlink, path)

    async def older_than(self, before: float) -> list[str]:
        """Every file under the root the core names files in, modified before `before`
        (epoch seconds), as its name relative to the directory."""
        return await asyncio.to_thread(self._older_than, before)

    def _older_than(self, before: float) -> list[str]:
        root = self._directory / ROOT
        found = []
        for folder, _dirs, names in os.walk(root):
            for name in names:
                path = Path(folder) / name
                try:
                    if path.stat().st_mtime < before:
                        found.append(path.relative_to(self._directory).as_posix())
                except OSError:
                    continue  # gone meanwhile
        return sorted(found)


def wav_seconds(path: Path) -> float | None:
    try:
        size = path.stat().st_size
        with wave.open(str(path), "rb") as audio:
            frames, rate = audio.getnframes(), audio.getframerate()
            frame_bytes = audio.getsampwidth() * audio.getnchannels()
    except (OSError, EOFError, wave.Error):
        return None
    if rate <= 0 or frame_bytes <= 0:
        return None
    if frames == 0:
        frames = max(0, size - HEADER) // frame_bytes
    return frames / rate


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
