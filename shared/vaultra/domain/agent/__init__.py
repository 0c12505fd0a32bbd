"""The agent's pure parts: routing a question to tools offline, composing and checking answers."""
