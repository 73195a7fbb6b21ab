"""The one refusal of the service desk: a catalog key and its parameters, so the page
and the CLI word it in Chinese and English alike."""

from __future__ import annotations


class ServiceError(ValueError):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
