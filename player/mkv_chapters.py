"""Write chapters into a Matroska file that libmpv's encoder wrote (which writes none).

mpv's encoder copies a source's tags but never its chapters (common/encode_lavc.c, v0.35.1,
has no chapter code), and no ffmpeg CLI may be assumed. So the renderer appends a Chapters
element at the end of the Segment and names it in the SeekHead at the front, in the room
libavformat's muxer leaves after it (a Void element reserved for more entries). mpv's
demuxer reads a level-1 element wherever the SeekHead says it is
(demux/demux_mkv.c, `demux_mkv_read_seekhead` and `read_deferred_element`, v0.35.1).
The file is changed in place: a few hundred bytes, however long the video.
"""

from __future__ import annotations

import hashlib
import shutil
import zlib
from collections.abc import Sequence
from pathlib import Path

SEGMENT = 0x18538067
SEEK_HEAD = 0x114D9B74
SEEK = 0x4DBB
SEEK_ID = 0x53AB
SEEK_POSITION = 0x53AC
VOID = 0xEC
CRC32 = 0xBF
CHAPTERS = 0x1043A770
EDITION_ENTRY = 0x45B9
EDITION_UID = 0x45BC
CHAPTER_ATOM = 0xB6
CHAPTER_UID = 0x73C4
CHAPTER_TIME_START = 0x91
CHAPTER_TIME_END = 0x92
CHAPTER_DISPLAY = 0x80
CHAP_STRING = 0x85
CHAP_LANGUAGE = 0x437C

HEAD_BYTES = 4096
"""How much of the file's start is read: the EBML header, the Segment's and the SeekHead."""


class ChapterWriteError(ValueError):
    """The file is not laid out as libavformat's Matroska muxer lays it out."""


def _read_vint(data: bytes, at: int) -> tuple[int, int]:
    """An EBML variable-length size at ``at``: (value, length); all ones is "unknown" (-1)."""
    first = data[at]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        raise ChapterWriteError(f"bad EBML size at byte {at}")
    value = first & (0xFF >> length)
    for byte in data[at + 1 : at + length]:
        value = (value << 8) | byte
    return (-1 if value == (1 << (7 * length)) - 1 else value), length


def _read_id(data: bytes, at: int) -> tuple[int, int]:
    _, length = _read_vint(data, at)
    return int.from_bytes(data[at : at + length], "big"), length


def _size(value: int, length: int | None = None) -> bytes:
    length = length or next(n for n in range(1, 9) if value < (1 << (7 * n)) - 1)
    return ((1 << (7 * length)) | value).to_bytes(length, "big")


def _element(element_id: int, payload: bytes) -> bytes:
    raw_id = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
    return raw_id + _size(len(payload)) + payload


def _uint(element_id: int, value: int) -> bytes:
    return _element(element_id, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def chapters_element(chapters: Sequence[tuple[float, str]], duration_s: float) -> bytes:
    """One default edition with a chapter per (start seconds, title), each ending where the
    next starts (the last at ``duration_s``)."""
    ends = [start for start, _ in chapters[1:]] + [duration_s]
    atoms = b"".join(
        _element(
            CHAPTER_ATOM,
            _uint(CHAPTER_UID, index + 1)
            + _uint(CHAPTER_TIME_START, round(start * 1e9))
            + _uint(CHAPTER_TIME_END, round(max(start, end) * 1e9))
            + _element(
                CHAPTER_DISPLAY,
                _element(CHAP_STRING, title.encode()) + _element(CHAP_LANGUAGE, b"eng"),
            ),
        )
        for index, ((start, title), end) in enumerate(zip(chapters, ends, strict=True))
    )
    return _element(CHAPTERS, _element(EDITION_ENTRY, _uint(EDITION_UID, 1) + atoms))


def _void(length: int) -> bytes:
    """A Void element of exactly ``length`` bytes."""
    if length < 2:
        raise ChapterWriteError("no room in the SeekHead for the Chapters entry")
    if length - 2 < 127:
        return bytes([VOID]) + _size(length - 2, 1) + bytes(length - 2)
    return bytes([VOID]) + _size(length - 9, 8) + bytes(length - 9)


def _seek_head(entries: list[tuple[bytes, int]]) -> bytes:
    seeks = b"".join(
        _element(SEEK, _element(SEEK_ID, raw_id) + _uint(SEEK_POSITION, position))
        for raw_id, position in entries
    )
    crc = zlib.crc32(seeks).to_bytes(4, "little")  # Matroska's CRC-32 of what follows it
    return _element(SEEK_HEAD, _element(CRC32, crc) + seeks)


def write_chapters(path: Path, chapters: Sequence[tuple[float, str]], duration_s: float) -> None:
    """Add ``chapters`` (start seconds, title; in order) to the Matroska file at ``path``."""
    try:
        _write_chapters(path, chapters, duration_s)
    except IndexError:
        raise ChapterWriteError(f"{path.name}: the Matroska header ends too soon") from None


def _write_chapters(path: Path, chapters: Sequence[tuple[float, str]], duration_s: float) -> None:
    with path.open("r+b") as file:
        head = file.read(HEAD_BYTES)
        file_size = file.seek(0, 2)
        _, id_length = _read_id(head, 0)
        header_size, size_length = _read_vint(head, id_length)
        segment_at = id_length + size_length + header_size
        segment_id, id_length = _read_id(head, segment_at)
        segment_size, size_length = _read_vint(head, segment_at + id_length)
        if segment_id != SEGMENT or size_length != 8:
            raise ChapterWriteError(f"{path.name}: no Segment of a patchable size")
        data_at = segment_at + id_length + size_length
        if segment_size not in (-1, file_size - data_at):
            raise ChapterWriteError(f"{path.name}: the Segment does not end the file")

        seek_head_id, id_length = _read_id(head, data_at)
        seek_head_size, size_length = _read_vint(head, data_at + id_length)
        if seek_head_id != SEEK_HEAD:
            raise ChapterWriteError(f"{path.name}: the Segment does not start with a SeekHead")
        entries_at = data_at + id_length + size_length
        void_at = entries_at + seek_head_size
        void_id, id_length = _read_id(head, void_at)
        void_size, size_length = _read_vint(head, void_at + id_length)
        if void_id != VOID:
            raise ChapterWriteError(f"{path.name}: no room reserved after the SeekHead")
        region_end = void_at + id_length + size_length + void_size

        entries = _seek_entries(head[entries_at:void_at])
        if any(raw_id == CHAPTERS.to_bytes(4, "big") for raw_id, _ in entries):
            raise ChapterWriteError(f"{path.name} has chapters already")
        entries.append((CHAPTERS.to_bytes(4, "big"), file_size - data_at))
        seek_head = _seek_head(entries)
        region = seek_head + _void(region_end - data_at - len(seek_head))

        chapters_bytes = chapters_element(chapters, duration_s)
        file.seek(file_size)
        file.write(chapters_bytes)
        file.seek(data_at)
        file.write(region)
        file.seek(segment_at + len(SEGMENT.to_bytes(4, "big")))
        file.write(_size(file_size - data_at + len(chapters_bytes), 8))


def _seek_entries(data: bytes) -> list[tuple[bytes, int]]:
    """The SeekHead's (raw element id, position) pairs; its CRC and anything else dropped."""
    entries: list[tuple[bytes, int]] = []
    at = 0
    while at < len(data):
        element_id, id_length = _read_id(data, at)
        size, size_length = _read_vint(data, at + id_length)
        body = data[at + id_length + size_length : at + id_length + size_length + size]
        at += id_length + size_length + size
        if element_id != SEEK:
            continue
        fields: dict[int, bytes] = {}
        inner = 0
        while inner < len(body):
            field_id, field_id_length = _read_id(body, inner)
            field_size, field_size_length = _read_vint(body, inner + field_id_length)
            start = inner + field_id_length + field_size_length
            fields[field_id] = body[start : start + field_size]
            inner = start + field_size
        if SEEK_ID in fields and SEEK_POSITION in fields:
            entries.append((fields[SEEK_ID], int.from_bytes(fields[SEEK_POSITION], "big")))
    return entries


def with_chapters(plain: Path, chapters: Sequence[tuple[float, str]], duration_s: float) -> Path:
    """A copy of the Matroska file ``plain`` with ``chapters`` in it, cached beside it: its
    name carries a digest of the chapters, so a copy with other chapters is never reused."""
    digest = hashlib.sha256(repr((list(chapters), duration_s)).encode()).hexdigest()[:8]
    stem, dot, version = plain.stem.rpartition(".")
    name = f"{stem}.c{digest}.{version}" if dot else f"{plain.stem}.c{digest}"
    path = plain.with_name(name + plain.suffix)
    if path.exists() and path.stat().st_size > 0:
        return path
    partial = path.with_suffix(path.suffix + ".part")
    shutil.copyfile(plain, partial)
    try:
        write_chapters(partial, chapters, duration_s)
    except ChapterWriteError:
        partial.unlink()
        raise
    partial.rename(path)
    return path
