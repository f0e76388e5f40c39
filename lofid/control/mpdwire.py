"""MPD's wire format, as MPD 0.23 writes and reads it: a command line's words, the ACK error line and
its codes, and the ``key: value`` lines of a reply.

A command line is a lowercase command name and its arguments, separated by blanks; an argument may be
"double quoted", with ``\\"`` and ``\\\\`` inside (MPD's src/util/Tokenizer). A reply is ``key: value``
lines, then ``OK``; an error is one line, and nothing else follows it:

    ACK [ERROR@COMMAND_LIST_NUM] {CURRENT_COMMAND} MESSAGE_TEXT

(MPD's src/protocol/Ack.hxx and src/client/Response.cxx), the command empty when the name itself
was not understood.
"""

from __future__ import annotations

from collections.abc import Iterable

# MPD's error codes (src/protocol/Ack.hxx)
ACK_NOT_LIST = 1
ACK_ARG = 2
ACK_PASSWORD = 3
ACK_PERMISSION = 4
ACK_UNKNOWN = 5
ACK_NO_EXIST = 50
ACK_SYSTEM = 52

_SHOWN = 40  # characters of a client's word repeated in an error


class Ack(Exception):
    """A command refused: MPD's error ``code`` and its one-line ``message``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def ack_line(code: int, index: int, command: str, message: str) -> bytes:
    """``ACK [code@index] {command} message``, one line whatever the message held."""
    text = " ".join(message.split())
    return f"ACK [{code}@{index}] {{{command[:_SHOWN]}}} {text}\n".encode()


def shown(word: str) -> str:
    """A client's word as an error repeats it: quoted, and cut short."""
    return '"' + (word if len(word) <= _SHOWN else word[:_SHOWN] + "...") + '"'


def words(line: str) -> list[str]:
    """A command line's words: the name, then its arguments, quotes and escapes undone.

    Raises Ack (unknown command for a malformed name, a bad argument otherwise), in MPD's words."""
    name, rest = _split(line)
    args: list[str] = []
    i = 0
    while True:
        while i < len(rest) and rest[i] in " \t":
            i += 1
        if i == len(rest):
            return [name, *args]
        if rest[i] == '"':
            word, i = _quoted(rest, i + 1)
            if i < len(rest) and rest[i] not in " \t":
                raise Ack(ACK_ARG, "Space expected after closing '\"'")
        else:
            start = i
            while i < len(rest) and rest[i] not in " \t":
                if rest[i] in "\"'\\":  # MPD's unquoted words are plain
                    raise Ack(ACK_ARG, "Invalid unquoted character")
                i += 1
            word = rest[start:i]
        args.append(word)


def command_name(line: str) -> str:
    """A command line's name (Ack ``unknown command`` if it has none)."""
    return _split(line)[0]


def _split(line: str) -> tuple[str, str]:
    if not line:
        raise Ack(ACK_UNKNOWN, "No command given")
    end = 0
    while end < len(line) and (line[end].isascii() and (line[end].isalnum() or line[end] == "_")):
        end += 1
    if end == 0 or not line[0].isalpha() or (end < len(line) and line[end] not in " \t"):
        raise Ack(ACK_UNKNOWN, f"unknown command {shown(line.split()[0] if line.split() else line)}")
    return line[:end], line[end:]


def _quoted(text: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        elif c == '"':
            return "".join(out), i + 1
        else:
            out.append(c)
            i += 1
    raise Ack(ACK_ARG, "Missing closing '\"'")


def pairs(items: Iterable[tuple[str, object]]) -> str:
    """``key: value`` lines; a value never breaks its line."""
    return "".join(f"{key}: {' '.join(str(value).splitlines())}\n" for key, value in items)


def whole(text: str, what: str = "Integer") -> int:
    """An argument that must be a whole number, refused in MPD's words."""
    try:
        return int(text.strip()) if len(text) <= 20 else int("x")
    except ValueError:
        raise Ack(ACK_ARG, f"{what} expected: {shown(text)}") from None


def switch(text: str) -> bool:
    """An argument that must be 0 or 1."""
    if text not in ("0", "1"):
        raise Ack(ACK_ARG, f"Boolean (0/1) expected: {shown(text)}")
    return text == "1"


def span(text: str) -> tuple[int, int]:
    """``POS`` or ``START:END`` (END may be left out: to the end) -> the range [start, end)."""
    first, sep, last = text.partition(":")
    start = whole(first)
    end = (whole(last) if last else 2**31) if sep else start + 1
    if start < 0 or end < start:
        raise Ack(ACK_ARG, f"Bad song index: {shown(text)}")
    return start, end
