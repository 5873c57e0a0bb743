"""Phoenix/Realtime frame codecs for both protocol versions.

vsn 1.0.0 (realtime-py): JSON objects; the server sends exactly `topic, event, payload, ref`.
vsn 2.0.0 (realtime-js): JSON arrays `[join_ref, ref, topic, event, payload]`, plus binary
broadcast frames: kind 3 (client push) in, kind 4 (server broadcast) out.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from enum import Enum
from typing import Any

from hub.errors import ProtocolError

JsonObject = dict[str, Any]

USER_BROADCAST_PUSH = 3
USER_BROADCAST = 4
ENCODING_BINARY = 0
ENCODING_JSON = 1

# ASCII output: a JSON string escape may decode to a lone surrogate, which has no UTF-8 form;
# escaped again it stays valid for every receiver.
_compact = json.JSONEncoder(separators=(",", ":")).encode


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def loads_strict(data: str | bytes) -> Any:
    """Parse JSON as browsers do: NaN/Infinity refused (JSON.parse in realtime-js would throw on
    them when we forwarded them); too deep or too long numbers refused instead of crashing."""
    try:
        return json.loads(data, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None


OK: JsonObject = {"status": "ok", "response": {}}


def error_reply(reason: str) -> JsonObject:
    return {"status": "error", "response": {"reason": reason}}


class Vsn(Enum):
    V1 = "1.0.0"
    V2 = "2.0.0"

    @classmethod
    def from_query(cls, value: str | None) -> Vsn:
        # Phoenix treats a missing vsn as 1.0.0; anything it does not serve is refused.
        if value is None or value.startswith("1."):
            return cls.V1
        if value.startswith("2."):
            return cls.V2
        raise ProtocolError(f"unsupported protocol version {value!r}")


@dataclass(frozen=True, slots=True)
class Frame:
    """One client message, whichever encoding it came in."""

    topic: str
    event: str
    payload: Any
    ref: str | None
    join_ref: str | None


@dataclass(frozen=True, slots=True)
class UserBroadcastPush:
    """A kind-3 binary broadcast from realtime-js."""

    join_ref: str | None
    ref: str | None
    topic: str
    user_event: str
    metadata: bytes
    encoding: int
    user_payload: bytes


def _optional_ref(value: object, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ProtocolError(f"{name} must be a string or null")


def _frame(topic: object, event: object, payload: object, ref: object, join_ref: object) -> Frame:
    if not isinstance(topic, str) or not isinstance(event, str):
        raise ProtocolError("topic and event must be strings")
    return Frame(
        topic, event, payload, _optional_ref(ref, "ref"), _optional_ref(join_ref, "join_ref")
    )


def decode_text(vsn: Vsn, text: str) -> Frame:
    try:
        message = loads_strict(text)
    except ValueError as error:
        detail = error.msg if isinstance(error, json.JSONDecodeError) else str(error)[:80]
        raise ProtocolError(f"text frame is not JSON ({detail})") from None
    if vsn is Vsn.V1:
        if not isinstance(message, dict):
            raise ProtocolError("vsn 1.0.0 frames must be JSON objects")
        if "ref" not in message:
            raise ProtocolError("vsn 1.0.0 frame without ref")
        return _frame(
            message.get("topic"),
            message.get("event"),
            message.get("payload"),
            message.get("ref"),
            message.get("join_ref"),
        )
    if not isinstance(message, list) or len(message) != 5:
        raise ProtocolError("vsn 2.0.0 frames must be arrays of 5")
    join_ref, ref, topic, event, payload = message
    return _frame(topic, event, payload, ref, join_ref)


def decode_binary(data: bytes) -> UserBroadcastPush:
    """Decode a kind-3 frame; anything else realtime-js does not send, so it is refused."""
    if len(data) < 7:
        raise ProtocolError("binary frame too short")
    kind, join_ref_len, ref_len, topic_len, event_len, meta_len, encoding = struct.unpack_from(
        "7B", data
    )
    if kind != USER_BROADCAST_PUSH:
        raise ProtocolError(f"binary frame of kind {kind} (only kind 3 is accepted)")
    if encoding not in (ENCODING_BINARY, ENCODING_JSON):
        raise ProtocolError(f"binary frame with unknown payload encoding {encoding}")
    offset = 7
    fields: list[bytes] = []
    for length in (join_ref_len, ref_len, topic_len, event_len, meta_len):
        end = offset + length
        if end > len(data):
            raise ProtocolError("binary frame shorter than its header says")
        fields.append(data[offset:end])
        offset = end
    try:
        join_ref, ref, topic, event = (field.decode() for field in fields[:4])
    except UnicodeDecodeError:
        raise ProtocolError("binary frame header fields are not UTF-8") from None
    return UserBroadcastPush(
        join_ref=join_ref or None,
        ref=ref or None,
        topic=topic,
        user_event=event,
        metadata=fields[4],
        encoding=encoding,
        user_payload=data[offset:],
    )


def encode_v1(topic: str, event: str, payload: Any, ref: str | None) -> bytes:
    return _compact({"topic": topic, "event": event, "payload": payload, "ref": ref}).encode()


def encode_v2(join_ref: str | None, ref: str | None, topic: str, event: str, payload: Any) -> bytes:
    return _compact([join_ref, ref, topic, event, payload]).encode()


def encode(
    vsn: Vsn, join_ref: str | None, ref: str | None, topic: str, event: str, payload: Any
) -> bytes:
    """One server message as the text a client of `vsn` expects.

    V1 has no join_ref slot: replies carry the push ref, channel pushes carry null, and
    phx_close carries the join_ref in `ref`, which callers pass as `ref`.
    """
    if vsn is Vsn.V1:
        return encode_v1(topic, event, payload, ref)
    return encode_v2(join_ref, ref, topic, event, payload)


def encode_user_broadcast(
    topic: str, event: str, metadata: bytes, encoding: int, payload: bytes
) -> bytes:
    """A kind-4 binary broadcast (server to realtime-js)."""
    topic_bytes, event_bytes = topic.encode(), event.encode()
    if max(len(topic_bytes), len(event_bytes), len(metadata)) > 255:
        raise ProtocolError("kind-4 field longer than 255 bytes")
    header = struct.pack(
        "5B", USER_BROADCAST, len(topic_bytes), len(event_bytes), len(metadata), encoding
    )
    return b"".join((header, topic_bytes, event_bytes, metadata, payload))


def dumps(value: Any) -> str:
    return _compact(value)
