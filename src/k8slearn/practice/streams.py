"""`kubectl exec` over WebSocket: the one streaming call the practice cluster answers.

kubectl (1.31 and later) runs `exec` as a WebSocket upgrade of
`GET …/pods/NAME/exec?command=…&stdout=true&stderr=true[&stdin=true&tty=true]`,
asking for the `v5.channel.k8s.io` (or `v4.channel.k8s.io`) subprotocol. Every
binary message starts with a channel byte: 0 stdin, 1 stdout, 2 stderr, 3 the
final `Status` (JSON), 4 terminal resizes, and (v5) 255 "close this channel".
The stand-in answers the command from the model in one go (see
`connectivity.run_in_pod`), so the exchange is short: send the output, send the
`Status` (Success, or Failure with reason NonZeroExitCode and an ExitCode cause
carrying the code, from which kubectl takes its own exit code), close. What the
client sends (stdin, resizes) is read and ignored: no command here reads stdin.

Only the framing of RFC 6455 that this needs is written here: the handshake,
unmasked server frames, and reading masked client frames until the close.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
from typing import BinaryIO

WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SUBPROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDOUT, STDERR, ERROR = 1, 2, 3
_BINARY, _CLOSE = 0x2, 0x8
_MAX_CLIENT_FRAME = 1 << 20


def accept_key(key: str) -> str:
    """The `Sec-WebSocket-Accept` answer to a client's `Sec-WebSocket-Key` (RFC 6455 §4.2.2)."""
    digest = hashlib.sha1((key.strip() + WEBSOCKET_GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def choose_subprotocol(offered: str) -> str | None:
    """The channel protocol to speak, from the client's comma-separated offer."""
    names = [p.strip() for p in offered.split(",") if p.strip()]
    return next((p for p in SUBPROTOCOLS if p in names), None)


def frame(payload: bytes, opcode: int = _BINARY) -> bytes:
    """One final, unmasked frame (servers never mask)."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return header + payload


def exit_status(exit_code: int, argv: list[str]) -> dict:
    """The `Status` the kubelet sends on the error channel when the command ends."""
    if exit_code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": (
            f"command terminated with non-zero exit code: error executing command "
            f"[{' '.join(argv)}], exit code {exit_code}"
        ),
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(exit_code)}]},
    }


def send_exec_result(
    out: BinaryIO, stdout: str, stderr: str, status: dict, *, tty: bool = False
) -> None:
    """Write the command's output and final Status, then a close frame.

    With a terminal (`-t`) a container has one output stream, so stderr goes
    to stdout, after it, as a terminal would show it.
    """
    if tty:
        stdout, stderr = stdout + stderr, ""
    for channel, text in ((STDOUT, stdout), (STDERR, stderr)):
        if text:
            data = text.replace("\n", "\r\n") if tty else text
            out.write(frame(bytes([channel]) + data.encode("utf-8")))
    out.write(frame(bytes([ERROR]) + json.dumps(status).encode("utf-8")))
    out.write(frame(struct.pack("!H", 1000), _CLOSE))
    out.flush()


def drain_until_close(sock: socket.socket, stream: BinaryIO, timeout: float = 2.0) -> None:
    """Read (and drop) client frames until its close frame, EOF or `timeout`.

    Replying before the client has closed keeps a well-behaved exchange; a
    client that never closes is not waited for longer than `timeout`.
    """
    sock.settimeout(timeout)
    try:
        while True:
            head = stream.read(2)
            if len(head) < 2:
                return
            opcode = head[0] & 0x0F
            size = head[1] & 0x7F
            if size == 126:
                size = struct.unpack("!H", stream.read(2))[0]
            elif size == 127:
                size = struct.unpack("!Q", stream.read(8))[0]
            if size > _MAX_CLIENT_FRAME:
                return
            if head[1] & 0x80:
                stream.read(4)  # the mask; the payload is dropped unread
            stream.read(size)
            if opcode == _CLOSE:
                return
    except (OSError, struct.error):
        return
