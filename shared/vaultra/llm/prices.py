"""What a model's tokens cost, in millionths of a US dollar, for the per-call accounting.

OpenAI's list prices per million tokens (input, output), from https://openai.com/api/pricing/
as published for these models; a model not listed is recorded at 0 with its tokens (the tokens
are what the daily budget counts). Self-hosted Ollama has no per-token price: its cost is the GKE
node's, not a request's.
"""

from __future__ import annotations

# USD per 1M tokens: (input, output)
OPENAI_PER_MILLION: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
}


def cost_micro_usd(provider: str, model: str, prompt_tokens: int, completion_tokens: int) -> int:
    if provider != "openai":
        return 0
    price = OPENAI_PER_MILLION.get(model)
    if price is None:
        return 0
    # per-million prices × tokens = micro-dollars directly
    return round(price[0] * prompt_tokens + price[1] * completion_tokens)
