"""The one exception type for expected failures: the CLI prints its message as one line, exit 2."""


class LofidError(RuntimeError):
    """A failure a user can act on (a missing model, a corrupt soundfont); no traceback is shown."""
