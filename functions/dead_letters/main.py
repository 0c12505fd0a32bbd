"""Cloud Function `dead_letters` (every topic's dead-letter topic): keep each message Pub/Sub gave
up on, by ids only, for operators (`vaultra.services.dead_letters`)."""

from vaultra.entrypoints import dead_letter_function

dead_letters = dead_letter_function()
