"""The side door: vocabulary (the commands' words, for the client too), protocol (what each command
does and how its values are checked), server (the daemon's event loop, replies and watch events),
listener (the socket's folder, lock and binding), client (a request and its reply, or a watch).
"""

# its modules (each is imported where it is used)
__all__ = ["client", "http", "listener", "protocol", "server", "vocabulary"]
