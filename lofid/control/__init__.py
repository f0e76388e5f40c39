"""The side door: vocabulary (the commands' words, for the client too), protocol (what each command
does and how its values are checked, and the daemon's interface with its threading rule), status
(the named shapes of the status and the watch events), server (the daemon's event loop, replies
and watch events), listener (the socket's folder, lock and binding), client (a request and its
reply, or a watch), http (the HTTP door: the stream, the web remote, the JSON API).
"""
