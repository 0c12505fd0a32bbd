"""Generated Stripe histories: `generator.generate(archetype, seed, …)` is the entry point.

Shipped with `vaultra` (not `vaultra_dev`) because demo data is a product feature: a founder without
Stripe loads one of the four archetypes into a business, and the deployed functions generate it.
The generator is pure — it reads and writes nothing, and the same arguments give the same history
byte for byte (`tests/dev/test_generator.py` pins a hash per archetype). Its ids are also keyed by
`generator.GENERATOR_VERSION`, bumped whenever the output for a seed changes.
"""
