"""Language models behind one port (`LLMProvider`): OpenAI's chat completions, Ollama's chat API,
and the offline rules. Messages and tools are in the chat-completions shape everywhere."""
