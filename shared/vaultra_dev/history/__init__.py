"""Generated Stripe histories: `generator.generate(archetype, seed, …)` is the entry point."""
