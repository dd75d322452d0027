"""Command-line tools: build data from knowledge; run, chat with and evaluate the assistant."""
