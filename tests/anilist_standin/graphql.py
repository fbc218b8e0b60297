"""A small, honest GraphQL reader: the subset of the language Airdate's queries use.

It reads one operation (`query Name($var: Type) { ... }` or a bare `{ ... }`) into a tree
of fields with their arguments resolved from the variables, and refuses anything else
with the message AniList would put in a 400 (a syntax error, an undefined variable, an
alias or a fragment it does not know). What fields and arguments exist is the schema's
business (`schema.py`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"""
    (?P<skip>[\s,\ufeff]+|\#[^\n]*)
  | (?P<spread>\.\.\.)
  | (?P<punct>[{}()\[\]:$!=@])
  | (?P<float>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+))
  | (?P<int>-?(?:0|[1-9][0-9]*))
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
    """,
    re.VERBOSE,
)


class GraphQLError(Exception):
    """A query AniList would refuse with HTTP 400."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    line: int
    column: int


@dataclass(slots=True)
class Field:
    """One selected field: its arguments (variables resolved) and its own selections."""

    name: str
    arguments: dict[str, Any]
    selections: list[Field] | None
    line: int
    column: int
    argument_order: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Operation:
    name: str | None
    root: list[Field]
    variables_used: set[str]


def tokens(source: str) -> list[Token]:
    found: list[Token] = []
    position = 0
    line, line_start = 1, 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        column = position - line_start + 1
        if match is None:
            raise GraphQLError(
                f'Syntax Error: Unexpected character: "{source[position]}".', line, column
            )
        kind = match.lastgroup or ""
        text = match.group()
        if kind != "skip":
            found.append(Token(kind, text, line, column))
        newlines = text.count("\n")
        if newlines:
            line += newlines
            line_start = match.start() + text.rindex("\n") + 1
        position = match.end()
    found.append(Token("end", "<EOF>", line, position - line_start + 1))
    return found


class _Reader:
    def __init__(self, source: str, variables: dict[str, Any]) -> None:
        self._tokens = tokens(source)
        self._at = 0
        self._variables = variables
        self._declared: set[str] = set()
        self.used: set[str] = set()

    # ------------------------------------------------------------- token helpers
    def peek(self) -> Token:
        return self._tokens[self._at]

    def take(self) -> Token:
        token = self._tokens[self._at]
        self._at += 1
        return token

    def expect(self, text: str) -> Token:
        token = self.take()
        if token.text != text or token.kind == "string":
            raise GraphQLError(
                f'Syntax Error: Expected "{text}", found "{token.text}".', token.line, token.column
            )
        return token

    def name(self) -> Token:
        token = self.take()
        if token.kind != "name":
            raise GraphQLError(
                f'Syntax Error: Expected Name, found "{token.text}".', token.line, token.column
            )
        return token

    # ------------------------------------------------------------- grammar
    def operation(self) -> Operation:
        start = self.peek()
        name: str | None = None
        if start.kind == "name":
            if start.text != "query":
                raise GraphQLError(
                    f'Syntax Error: Unexpected Name "{start.text}".', start.line, start.column
                )
            self.take()
            if self.peek().kind == "name":
                name = self.take().text
            if self.peek().text == "(":
                self.variable_definitions()
        root = self.selection_set()
        end = self.peek()
        if end.kind != "end":
            raise GraphQLError(
                f'Syntax Error: Unexpected "{end.text}": one operation per request.',
                end.line,
                end.column,
            )
        return Operation(name=name, root=root, variables_used=self.used)

    def variable_definitions(self) -> None:
        self.expect("(")
        while self.peek().text != ")":
            self.expect("$")
            variable = self.name()
            self.expect(":")
            self.type_reference()
            if self.peek().text == "=":
                self.take()
                default = self.value(const=True)
                self._variables.setdefault(variable.text, default)
            self._declared.add(variable.text)
        self.expect(")")

    def type_reference(self) -> None:
        if self.peek().text == "[":
            self.take()
            self.type_reference()
            self.expect("]")
        else:
            self.name()
        if self.peek().text == "!":
            self.take()

    def selection_set(self) -> list[Field]:
        self.expect("{")
        fields: list[Field] = []
        while self.peek().text != "}":
            token = self.peek()
            if token.kind == "spread":
                raise GraphQLError(
                    "The stand-in does not read fragments.", token.line, token.column
                )
            if token.kind == "end":
                raise GraphQLError("Syntax Error: Expected Name, found <EOF>.", token.line, 1)
            fields.append(self.field())
        self.expect("}")
        if not fields:
            raise GraphQLError('Syntax Error: Expected Name, found "}".')
        return fields

    def field(self) -> Field:
        name = self.name()
        if self.peek().text == ":":
            raise GraphQLError("The stand-in does not read aliases.", name.line, name.column)
        arguments: dict[str, Any] = {}
        order: list[str] = []
        if self.peek().text == "(":
            self.take()
            while self.peek().text != ")":
                argument = self.name()
                self.expect(":")
                if argument.text in arguments:
                    raise GraphQLError(
                        f'There can be only one argument named "{argument.text}".',
                        argument.line,
                        argument.column,
                    )
                arguments[argument.text] = self.value(const=False)
                order.append(argument.text)
            self.expect(")")
        if self.peek().text == "@":
            token = self.peek()
            raise GraphQLError("The stand-in does not read directives.", token.line, token.column)
        selections = self.selection_set() if self.peek().text == "{" else None
        return Field(name.text, arguments, selections, name.line, name.column, order)

    def value(self, *, const: bool) -> Any:
        token = self.take()
        if token.text == "$" and token.kind == "punct":
            if const:
                raise GraphQLError(
                    "Syntax Error: Unexpected variable in a default.", token.line, token.column
                )
            variable = self.name()
            if variable.text not in self._declared:
                raise GraphQLError(
                    f'Variable "${variable.text}" is not defined.', variable.line, variable.column
                )
            self.used.add(variable.text)
            return self._variables.get(variable.text)
        if token.kind == "int":
            return int(token.text)
        if token.kind == "float":
            return float(token.text)
        if token.kind == "string":
            return _unquote(token.text)
        if token.kind == "name":
            return {"true": True, "false": False, "null": None}.get(token.text, Enum(token.text))
        if token.text == "[":
            items = []
            while self.peek().text != "]":
                if self.peek().kind == "end":
                    raise GraphQLError('Syntax Error: Expected "]".', token.line, token.column)
                items.append(self.value(const=const))
            self.take()
            return items
        if token.text == "{":
            raise GraphQLError(
                "The stand-in does not read input objects.", token.line, token.column
            )
        raise GraphQLError(f'Syntax Error: Unexpected "{token.text}".', token.line, token.column)


@dataclass(frozen=True, slots=True)
class Enum:
    """An enum value written in the query (`ANIME`), told apart from a string."""

    value: str


def _unquote(text: str) -> str:
    try:
        value = json.loads(text)
    except ValueError:
        raise GraphQLError("Syntax Error: Invalid string.") from None
    assert isinstance(value, str)
    return value


def read_operation(source: str, variables: dict[str, Any] | None) -> Operation:
    """Read `source` with `variables`, or raise GraphQLError."""
    return _Reader(source, dict(variables or {})).operation()
