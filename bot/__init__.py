"""Rasa server-side code: the socket.io channel with whole messages and working custom payloads."""
