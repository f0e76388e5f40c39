"""The side door: protocol (the table of commands and their validation), server (the daemon's socket),
client (one request, one reply).
"""
