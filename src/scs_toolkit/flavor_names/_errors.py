"""Errors raised for names that are not valid scs-0100 flavor names."""

from __future__ import annotations


class FlavorNameError(ValueError):
    """A name violates the scs-0100 grammar; says which component, where and what to write instead.

    `column` is 1-based (the first character of the name is column 1) because it is shown to
    people; it is None where the problem concerns the properties as a whole, not a spelling.
    """

    def __init__(
        self,
        name: str,
        component: str,
        message: str,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.name = name
        self.component = component
        self.message = message
        self.column = column
        self.hint = hint
        super().__init__(self.describe())

    def describe(self) -> str:
        where = f" at position {self.column}" if self.column is not None else ""
        text = f"{self.component}{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def pointer(self) -> str:
        """Two lines, the name and a caret under the offending character, for terminals."""
        if self.column is None:
            return self.name
        return f"{self.name}\n{' ' * (self.column - 1)}^"


class NotAnScsNameError(FlavorNameError):
    """The name does not start with `SCS-`: it is not claimed to be an SCS flavor at all."""

    def __init__(self, name: str) -> None:
        super().__init__(
            name,
            "prefix",
            "not an SCS flavor name: SCS flavor names start with 'SCS-'",
            column=1,
        )
