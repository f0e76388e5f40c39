"""The one exception hierarchy for expected failures: the CLI prints the message as one line, exit 2.

Every failure a user can act on is a ``LofidError``; the subclasses say where it came from, so
the CLI and the control protocol catch one type and still answer precisely.
"""


class LofidError(RuntimeError):
    """A failure a user can act on (a missing model, a corrupt soundfont); no traceback is shown."""


class ConfigError(LofidError, ValueError):
    """A setting or config file is wrong; the message is one line a person can act on."""


class RequestError(LofidError):
    """A control request that cannot be carried out; its message is the reply's error."""


def describe_os_error(e: OSError) -> str:
    """An OSError as a few words for a log line or a status: "connection refused", "timed out", or its message."""
    if isinstance(e, TimeoutError):  # socket.timeout is TimeoutError
        return "timed out"
    if e.strerror:
        return e.strerror.lower()
    return str(e) or e.__class__.__name__
