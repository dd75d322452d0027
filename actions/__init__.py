"""The SEND guidance assistant's action server and the pure knowledge library it uses."""
