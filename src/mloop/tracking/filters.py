"""The run filter language, read by a small tokenizer and a recursive-descent parser (no eval):

    metrics.val_auc > 0.8 and (params.model = 'xgb' or tags.team like 'risk%') and start_time > '2026-11-01'

    condition  := conjunction ("or" conjunction)*
    conjunction:= term ("and" term)*
    term       := "not" term | "(" condition ")" | field operator value
                | field ["not"] "in" "(" value ("," value)* ")" | field "not" "like" value
    field      := metrics.<key> | params.<key> | tags.<key> | an attribute (see run_query.ATTRIBUTES)
                  (a key with other characters is written in backticks: metrics.`val auc`)
    operator   := = | != | < | <= | > | >= | like        (`==` and `<>` are accepted too)

Metrics compare with numbers; params and tags are text (=, !=, like, in; a number is compared as
the text it is stored as, so params.n_estimators = 200 works); start_time and end_time take an ISO
date or datetime (UTC unless it says otherwise). `like` is case-insensitive, with % and _
wildcards. A comparison matches runs that have the key (`params.model != 'xgb'` skips runs with
no model param); `not` in front of a term matches every run the term does not.
A malformed filter raises ValidationError pointing at the offending token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from mloop.core.errors import ValidationError
from mloop.stores.metadata.run_query import (
    ATTRIBUTES,
    COMPARISONS,
    TEXT_OPERATORS,
    TIME_ATTRIBUTES,
    Comparison,
    Condition,
    Field,
    Junction,
    Negation,
)
from mloop.stores.metadata.tracking_records import as_text

_TOKENS = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.`])
  | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*")
  | (?P<op><=|>=|!=|<>|==|=|<|>)
  | (?P<paren>[()])
  | (?P<comma>,)
  | (?P<word>[A-Za-z_][\w\-/:]*(?:\.(?:`[^`]+`|[\w\-/:.]+))?)
""", re.VERBOSE)
_KEYWORDS = {"and", "or", "not", "in", "like", "ilike"}
_OPERATOR_ALIASES = {"==": "=", "<>": "!=", "ilike": "like"}
_PREFIXES = ("metrics", "params", "tags")
_FIELD_HELP = f"use metrics.<key>, params.<key>, tags.<key> or one of: {', '.join(ATTRIBUTES)}"


@dataclass(frozen=True)
class Token:
    kind: str  # number | string | op | paren | comma | word | keyword | end
    text: str
    column: int  # 1-based


def parse_filter(text: str) -> Condition | None:
    """The condition of a filter string; None for an empty filter (every run)."""
    parser = _Parser(text)
    if parser.peek().kind == "end":
        return None
    condition = parser.condition()
    end = parser.peek()
    if end.kind != "end":
        parser.fail(end, "expected 'and', 'or' or the end of the filter"
                    if end.text != ")" else "there is no '(' to close")
    return condition


def parse_field(text: str) -> Field:
    """A field alone, as in --order-by metrics.val_auc."""
    parser = _Parser(text)
    field = parser.field(parser.next())
    extra = parser.peek()
    if extra.kind != "end":
        parser.fail(extra, "expected a single field")
    return field


class _Parser:
    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise ValidationError(f"a filter is a string, not {type(text).__name__}")
        self.text = text
        self.tokens = _tokenize(text)
        self.position = 0

    def peek(self) -> Token:
        return self.tokens[self.position]

    def next(self) -> Token:
        token = self.tokens[self.position]
        if token.kind != "end":
            self.position += 1
        return token

    def condition(self) -> Condition:
        items = [self.conjunction()]
        while self._accept("or"):
            items.append(self.conjunction())
        return items[0] if len(items) == 1 else Junction("or", tuple(items))

    def conjunction(self) -> Condition:
        items = [self.term()]
        while self._accept("and"):
            items.append(self.term())
        return items[0] if len(items) == 1 else Junction("and", tuple(items))

    def term(self) -> Condition:
        token = self.next()
        if _is(token, "not"):
            return Negation(self.term())
        if token.text == "(":
            inner = self.condition()
            closing = self.next()
            if closing.text != ")":
                self.fail(closing, f"expected ')' to close the '(' at column {token.column}")
            return inner
        field = self.field(token)
        operator = self.next()
        negated = _is(operator, "not")
        if negated:
            operator = self.next()
            if not (_is(operator, "in") or _is(operator, "like") or _is(operator, "ilike")):
                self.fail(operator, f"expected 'in' or 'like' after {field} not")
        if operator.kind not in ("op", "keyword") or operator.text.lower() in ("and", "or", "not"):
            self.fail(operator, f"expected an operator after {field} (=, !=, <, <=, >, >=, like, in)")
        op = _OPERATOR_ALIASES.get(operator.text.lower(), operator.text.lower())
        if op == "in":
            return Comparison(field, "not in" if negated else "in", self._values(field, operator))
        op = f"not {op}" if negated else op
        value = self.next()
        if value.kind not in ("number", "string"):
            self.fail(value, f"expected a value after {field} {op} (a number or a 'quoted' string)")
        return Comparison(field, op, self._value(field, op, operator, value))

    def _values(self, field: Field, operator: Token) -> tuple[float | str | datetime, ...]:
        """`in ('a', 'b')`: each value as `=` would take it."""
        opening = self.next()
        if opening.text != "(":
            self.fail(opening, f"expected '(' and a list of values after {field} in, e.g. ('a', 'b')")
        values = []
        while True:
            value = self.next()
            if value.kind not in ("number", "string"):
                self.fail(value, f"expected a value in the list after {field} in")
            values.append(self._value(field, "=", operator, value))
            separator = self.next()
            if separator.text == ")":
                return tuple(values)
            if separator.kind != "comma":
                self.fail(separator, "expected ',' or ')' in the list of values")

    def field(self, token: Token) -> Field:
        if token.kind != "word":
            self.fail(token, f"expected a field ({_FIELD_HELP})")
        prefix, dot, key = token.text.partition(".")
        if dot and prefix in _PREFIXES and key:
            return Field(prefix, key[1:-1] if key.startswith("`") else key)
        if not dot and token.text in ATTRIBUTES:
            return Field("attributes", token.text)
        self.fail(token, _FIELD_HELP, noun="field")
        raise AssertionError  # unreachable: fail raises

    def _value(self, field: Field, op: str, operator: Token, token: Token) -> float | str | datetime:
        if field.kind == "metrics":
            if op not in COMPARISONS:
                self.fail(operator, f"{field} is a number: compare it with =, !=, <, <=, > or >=")
            if token.kind != "number":
                self.fail(token, f"{field} is a number: compare it with a number")
            return float(token.text)
        if field.kind == "attributes" and field.key in TIME_ATTRIBUTES:
            if op not in COMPARISONS:
                self.fail(operator, f"{field} is a time: compare it with =, !=, <, <=, > or >=")
            return self._time(token)
        if op not in TEXT_OPERATORS:
            self.fail(operator, f"{field} is text: compare it with =, !=, like or in")
        if token.kind == "number":
            if op.endswith("like"):
                self.fail(token, "like takes a 'quoted' pattern")
            number = float(token.text)
            return as_text(int(number) if number.is_integer() and re.fullmatch(r"[-+]?\d+", token.text) else number)
        return _unquote(token.text)

    def _time(self, token: Token) -> datetime:
        text = _unquote(token.text) if token.kind == "string" else ""
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.fail(token, "expected a 'quoted' ISO date or datetime, e.g. '2026-11-01' or '2026-11-01T12:00'")
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def _accept(self, keyword: str) -> bool:
        token = self.peek()
        if token.kind == "keyword" and token.text.lower() == keyword:
            self.position += 1
            return True
        return False

    def fail(self, token: Token, expected: str, noun: str = "") -> None:
        raise ValidationError(_message(self.text, token, expected, noun))


def _is(token: Token, keyword: str) -> bool:
    return token.kind == "keyword" and token.text.lower() == keyword


def _tokenize(text: str) -> list[Token]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKENS.match(text, position)
        if match is None or match.end() == position:
            if text[position] in "'\"":
                raise ValidationError(_message(text, Token("char", text[position:], position + 1),
                                               "a string that is never closed"))
            run = re.match(r"\S+", text[position:])
            bad = Token("char", run.group() if run else text[position], position + 1)
            raise ValidationError(_message(text, bad, "not part of the filter language"))
        kind = match.lastgroup or ""
        if kind != "space":
            word = match.group()
            if kind == "word" and word.lower() in _KEYWORDS:
                kind = "keyword"
            tokens.append(Token(kind, word, position + 1))
        position = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _unquote(text: str) -> str:
    quote, body = text[0], text[1:-1]
    return re.sub(r"\\(.)", r"\1", body.replace(quote * 2, quote))


def _message(text: str, token: Token, expected: str, noun: str = "") -> str:
    """`unexpected 'andd' at column 19: <the filter>`, then a caret under the token and what was expected."""
    what = "end of filter" if token.kind == "end" else f"{noun + ' ' if noun else ''}{token.text!r}"
    head = f"{'unknown' if noun else 'unexpected'} {what} at column {token.column}: "
    start = max(0, token.column - 1 - 50)
    shown = ("..." if start else "") + text[start:]
    if len(shown) > 120:
        shown = shown[:117] + "..."
    offset = len(head) + token.column - 1 - start + (3 if start else 0)
    return f"{head}{shown}\n{' ' * offset}{'^' * max(1, len(token.text))} {expected}"
