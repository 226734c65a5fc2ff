"""Writes: create, replace, patch and delete records over the API, with a key, as the seed loader would."""
