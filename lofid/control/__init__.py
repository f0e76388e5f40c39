"""The side door: vocabulary (the commands' words, for the client too), protocol (what each command
does and how its values are checked, and the daemon's interface with its threading rule), status
(the named shapes of the status and the watch events), lines (the selector loop and the limits every
line door shares), server (the control socket: replies and watch events), listener (the socket's
folder, lock and binding), client (a request and its reply, or a watch), http (the HTTP door: the
stream, the web remote, the JSON API), mpd (the MPD door: MPD's protocol mapped onto the same commands)
with mpdverbs (MPD's commands as the radio answers them) and mpdwire (MPD's line format).
"""

# its modules (each is imported where it is used)
__all__ = [
    "client", "http", "lines", "listener", "mpd", "mpdverbs", "mpdwire", "protocol", "server", "status", "vocabulary",
]
