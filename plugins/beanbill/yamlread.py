"""Reading YAML with line numbers and strict types.

The YAML is composed into nodes with PyYAML's safe loader (no Python object tags), so every
value keeps its line. `Fields` reads a mapping key by key and reports unknown keys; the
`as_*` readers turn a scalar into a typed value or raise `Invalid` naming the node, which the
loader turns into a `Problem` at the nearest item boundary. Duplicate keys, binary floats
where money is expected and runaway alias expansion are all refused.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from beanbill.model import Source
from beanbill.money import MAX_DIGITS
from beanbill.problems import likely_meant, meant_hint, misspelling_note

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"
MERGE = "tag:yaml.org,2002:merge"
# Plain data only: an explicit tag such as !!python/object or !!binary is refused.
PLAIN_TAGS = frozenset({STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, MAP, SEQ, MERGE})

# Nodes one file may make us visit: a YAML alias "billion laughs" file stops here quickly.
NODE_BUDGET = 200_000
MAX_DEPTH = 100  # a contract is a dozen levels deep
DECIMAL_RE = re.compile(r"-?\d+(\.\d+)?")
PERCENT_RE = re.compile(r"(-?\d+(\.\d+)?)\s*%")
MAX_PERCENT_DIGITS = 4  # below 10000%: an uplift compounded over renewals stays computable
# Dates of contracts and adjustments: billing periods, renewals and recognition run months and
# years past them, and Python's dates end in 9999 (a contract in 9999 was an internal error).
FIRST_YEAR, LAST_YEAR = 1900, 2999


class Invalid(Exception):
    """A value the loader cannot accept, with the node it came from."""

    def __init__(self, node: Node | None, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


def parser_complaint(error: yaml.MarkedYAMLError) -> str:
    """The YAML parser's complaint, with what it was reading when that started on an earlier
    line: "expected <block end>, but found '?' (while parsing a block collection that starts
    on line 21)"."""
    mark = error.problem_mark or error.context_mark
    problem = error.problem or str(error)
    context, start = error.context, error.context_mark
    if context and not context.startswith("while"):
        problem = f"{context}, {problem}"  # "expected a single document..., but found"
    elif context and start and mark and start.line < mark.line:
        problem += f" ({context} that starts on line {start.line + 1})"
    return problem


def syntax_hint(error: yaml.MarkedYAMLError, start: int, lines: list[str]) -> str:
    """What a YAML parser's complaint usually means in a contract file, and what to do, in
    words (`start`: the line the collection or scalar it was reading starts on; `lines`: the
    file's); else ''."""
    problem, context = error.problem or "", error.context or ""
    found = error.problem_mark  # where the parser found what it did not expect
    if problem.startswith("expected <block end>"):
        if "block collection" in context:
            return (
                "; this line is indented neither as a key of the list item above nor as a new "
                f"item of the list that starts on line {start}: indent it like the item's "
                "other keys, or start it with '- '"
            )
        if found is not None and found.column > indent_above(lines, found.line):
            return (
                "; this line is indented more than the line above it, which opens nothing: "
                "indent it like the keys it belongs with"
            )
        return (
            "; this line is indented less than the keys above it and more than their parent's: "
            "indent it like the keys it belongs with"
        )
    if problem.startswith("mapping values are not allowed"):
        return (
            "; this line is indented more than the key above it (indent it like that key), or a "
            "value holds ': ' (put the value in quotes)"
        )
    for opening, closing in (("[", "]"), ("{", "}")):
        if problem.startswith(f"expected ',' or '{closing}'"):
            return f"; the {opening} opened on line {start} is not closed: close it with {closing}"
    if "quoted scalar" in context:
        return f"; the quote opened on line {start} is never closed"
    return ""


def indent_above(lines: list[str], index: int) -> int:
    """The indentation of the last line with content before `lines[index]` (0: none)."""
    for line in reversed(lines[:index]):
        if line.strip() and not line.lstrip().startswith("#"):  # not blank, not a comment
            return len(line) - len(line.lstrip(" "))
    return 0


class Document:
    """One YAML file: its name, its root node and a visit budget."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.budget = NODE_BUDGET
        try:
            root = _compose(text)
        except yaml.MarkedYAMLError as error:
            mark, start = error.problem_mark or error.context_mark, error.context_mark
            line = mark.line + 1 if mark else 1
            problem = parser_complaint(error)
            lines = text.splitlines()
            if mark and mark.line < len(lines) and "\t" in lines[mark.line]:
                problem += " (YAML indents with spaces, not tabs: replace the tab)"
            else:
                problem += syntax_hint(error, start.line + 1 if start else line, lines)
            raise Invalid(None, f"YAML syntax error: {problem}") from _at(line)
        except yaml.reader.ReaderError as error:  # a control character, at its own line
            line = text.count("\n", 0, error.position) + 1
            character = f"#x{error.character:04x}" if isinstance(error.character, int) else ""
            message = f"YAML error: unacceptable character {character}: {error.reason}"
            raise Invalid(None, message) from _at(line)
        except yaml.YAMLError as error:
            raise Invalid(None, f"YAML error: {error}") from _at(1)
        except RecursionError:
            raise Invalid(None, "YAML error: the document is nested too deeply") from _at(1)
        if root is not None and root.tag == NULL:
            root = None  # a document with nothing in it ("---" or "~") is an empty file
        if root is not None:
            _check_tags(root)
        self.root: Node | None = root

    def source(self, node: Node | None) -> Source:
        return Source(self.file, node.start_mark.line + 1 if node is not None else 1)

    def spend(self, node: Node, count: int) -> None:
        self.budget -= count
        if self.budget < 0:
            raise Invalid(node, "the file expands to too many values (YAML alias bomb?)")


def _check_tags(root: Node) -> None:
    """Refuse the first node (in document order) whose tag is not plain YAML data, and
    documents nested deeper than any contract needs."""
    seen: set[int] = set()
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Invalid(None, "YAML error: the document is nested too deeply") from _at(1)
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.tag not in PLAIN_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise Invalid(node, f"the YAML tag {tag} is not allowed (only plain data)")
        if isinstance(node, SequenceNode):
            stack.extend((child, depth + 1) for child in reversed(node.value))
        elif isinstance(node, MappingNode):
            pairs = reversed(node.value)
            stack.extend((child, depth + 1) for pair in pairs for child in reversed(pair))


_RESOLVER = yaml.resolver.Resolver()  # the safe loaders' implicit tags (no path resolvers)
SHORT_SCALAR = 64  # characters: longer scalars are resolved each time, not remembered


@functools.lru_cache(maxsize=4096)
def _scalar_tag(value: str, implicit: tuple[bool, bool]) -> str:
    tag: str = _RESOLVER.resolve(ScalarNode, value, implicit)  # type: ignore[no-untyped-call]
    return tag


def _resolve(loader: Any, kind: type[Node], value: Any, implicit: Any) -> str:
    """The implicit tag of a node, as PyYAML's resolver gives it, remembered for short plain
    scalars: the same keys and values come back in every contract, and libyaml asks PyYAML's
    resolver (regular expressions, in Python) for each one."""
    if kind is ScalarNode and len(value) <= SHORT_SCALAR:
        return _scalar_tag(value, implicit)
    tag: str = yaml.resolver.Resolver.resolve(loader, kind, value, implicit)  # type: ignore[no-untyped-call]
    return tag


# libyaml composes about 25 times faster than PyYAML's pure-Python parser; a document it
# refuses is parsed again by the pure-Python one, whose messages the user sees.
FAST_LOADER: Any = (
    type("FastLoader", (yaml.CSafeLoader,), {"resolve": _resolve})
    if hasattr(yaml, "CSafeLoader")
    else None
)


def _compose(text: str) -> Node | None:
    if FAST_LOADER is not None:
        if _could_be_deep(text):
            _check_depth(text)
        try:
            node: Node | None = yaml.compose(text, Loader=FAST_LOADER)
            return node
        except yaml.YAMLError:
            pass
    slow: Node | None = yaml.compose(text, Loader=yaml.SafeLoader)
    return slow


# libyaml composes recursively in C: a document nested some 30,000 deep (a few hundred
# kilobytes of "[") overflows the stack and kills the process, with no message. Only a text
# with many brackets, deep indentation or long runs of "- " can be nested that deep; such a
# text is first measured on libyaml's events, which need no recursion.
DEEP_HINTS = 1_000
COMPACT_RUN = re.compile(r"(?:[-?][ \t]+){50}")
INDENT = re.compile(r"^[ ]{500}", re.MULTILINE)


def _could_be_deep(text: str) -> bool:
    return (
        text.count("[") + text.count("{") > DEEP_HINTS
        or INDENT.search(text) is not None
        or COMPACT_RUN.search(text) is not None
    )


def _check_depth(text: str) -> None:
    """Refuse a document nested deeper than MAX_DEPTH (at line 1, as `_check_tags` does)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=FAST_LOADER):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise Invalid(None, "YAML error: the document is nested too deeply") from _at(1)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return  # a syntax error: composing reports it


class _At(Exception):
    """Carries a line number out of a YAML parse error (see `error_line`)."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _at(line: int) -> _At:
    return _At(line)


def error_line(error: Invalid) -> int | None:
    """The line of a YAML syntax error, when the Invalid came from parsing."""
    cause = error.__cause__
    return cause.line if isinstance(cause, _At) else None


def describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return {
        STR: "a string",
        INT: "an integer",
        FLOAT: "a decimal number",
        BOOL: "a boolean",
        NULL: "empty",
        TIMESTAMP: "a date",
    }.get(node.tag, f"a value tagged {node.tag}")


class Fields:
    """The keys of one YAML mapping, read one by one; `done()` reports the keys left unread."""

    def __init__(self, doc: Document, node: Node, what: str) -> None:
        if not isinstance(node, MappingNode):
            raise Invalid(node, f"{what} must be a mapping, not {describe(node)}")
        doc.spend(node, len(node.value))
        self.doc = doc
        self.node = node
        self.what = what
        self._values: dict[str, Node] = {}
        self._keys: dict[str, Node] = {}
        for key_node, value_node in _merged_pairs(doc, node):
            if not isinstance(key_node, ScalarNode):
                raise Invalid(key_node, f"{what}: keys must be plain words")
            key = str(key_node.value)
            if key in self._values:
                first = self._keys[key].start_mark.line + 1
                raise Invalid(
                    key_node, f'{what}: key "{key}" is given twice (first on line {first})'
                )
            self._values[key] = value_node
            self._keys[key] = key_node
        self._read: set[str] = set()

    def optional(self, key: str) -> Node | None:
        self._read.add(key)
        node = self._values.get(key)
        if node is not None and node.tag == NULL:
            return None
        return node

    def given(self, key: str, when_left_out: str) -> Node | None:
        """`optional`, but a key written with no value (`currency:`) is an error, not left
        out, where leaving it out silently changes money: `when_left_out` says what it would
        do ("bills in the company's currency, USD")."""
        node = self.optional(key)
        if node is None and key in self._values:
            raise Invalid(
                self._keys[key],
                f'{self.what}: "{key}" is empty: give it a value, or leave the key out '
                f"(which {when_left_out})",
            )
        return node

    def required(self, key: str) -> Node:
        node = self.optional(key)
        if node is None:
            raise self.missing(f'{self.what}: "{key}" is required', key)
        return node

    def missing(self, message: str, *keys: str) -> Invalid:
        """The problem `message` about `keys` (at least one of which is expected). When none of
        them is given and a key given here, not read (yet), looks like a misspelling of one of
        them, the problem is at that key and says so: "is required" alone would send the
        reader looking for a line that is there."""
        if any(key in self._values for key in keys):
            return Invalid(self.node, message)
        unread = [key for key in self._values if key not in self._read]
        for key in keys:
            if (typo := likely_meant(key, unread)) is not None:
                return Invalid(self._keys[typo], message + misspelling_note(typo, key))
        return Invalid(self.node, message)

    def names(self) -> list[str]:
        return list(self._values)

    def key_node(self, key: str) -> Node:
        return self._keys.get(key, self.node)

    def done(self) -> None:
        unknown = [key for key in self._values if key not in self._read]
        if unknown:
            key = unknown[0]
            allowed = sorted(self._read)
            hint = self.comma_hint(key) or meant_hint(key, allowed)
            raise Invalid(
                self._keys[key],
                f'{self.what}: unknown key "{key}" ({hint}allowed keys: {", ".join(allowed)})',
            )

    def comma_hint(self, key: str) -> str:
        """For a key that is the end of the text before it, cut off at a comma inside `{…}`
        (`reason: Dispute, uncollectible`): how to write that text. "" otherwise."""
        if not getattr(self.node, "flow_style", False) or self._values[key].tag != NULL:
            return ""
        keys = list(self._values)
        before = keys.index(key) - 1
        if before < 0:
            return ""
        previous = self._values[keys[before]]
        if not (isinstance(previous, ScalarNode) and not previous.style):  # plain, unquoted
            return ""
        if previous.end_mark.line != self._keys[key].start_mark.line:
            return ""
        text = f"{previous.value}, {key}"
        return (
            f'inside {{…}} a comma ends a value: to write "{text}", quote it, '
            f'{keys[before]}: "{text}"; '
        )


def _merged_pairs(doc: Document, node: MappingNode) -> Iterator[tuple[Node, Node]]:
    """The mapping's pairs, with YAML merge keys (`<<: *defaults`) expanded, own keys first."""
    merged: list[tuple[Node, Node]] = []
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, MappingNode):
                    raise Invalid(source, "a merge key (<<) must name a mapping")
                doc.spend(source, len(source.value))
                merged.extend(source.value)
        else:
            yield key_node, value_node
    own = {k.value for k, _ in node.value if isinstance(k, ScalarNode)}
    seen: set[Any] = set()
    for key_node, value_node in merged:
        if key_node.value not in own and key_node.value not in seen:
            seen.add(key_node.value)
            yield key_node, value_node


def as_list(doc: Document, node: Node, what: str) -> list[Node]:
    if not isinstance(node, SequenceNode):
        raise Invalid(node, f"{what} must be a list, not {describe(node)}")
    doc.spend(node, len(node.value))
    return list(node.value)


def _scalar(node: Node, what: str, expected: str) -> ScalarNode:
    if not isinstance(node, ScalarNode):
        raise Invalid(node, f"{what} must be {expected}, not {describe(node)}")
    return node


def as_str(node: Node, what: str, pattern: re.Pattern[str] | None = None, hint: str = "") -> str:
    scalar = _scalar(node, what, "a string")
    if scalar.tag not in (STR, INT):
        raise Invalid(node, f"{what} must be a string, not {describe(node)}")
    value = str(scalar.value)
    if not value.strip():
        raise Invalid(node, f"{what} must not be empty")
    if pattern is not None and not pattern.fullmatch(value):
        raise Invalid(node, f'{what} "{value}" is not valid{hint}')
    return value


def as_bool(node: Node, what: str) -> bool:
    scalar = _scalar(node, what, "true or false")
    if scalar.tag != BOOL:
        raise Invalid(node, f"{what} must be true or false, not {describe(node)}")
    return bool(yaml.constructor.SafeConstructor().construct_yaml_bool(scalar))


def as_int(node: Node, what: str, minimum: int = 0) -> int:
    scalar = _scalar(node, what, "a whole number")
    if scalar.tag != INT or not re.fullmatch(r"-?\d+", str(scalar.value)):
        raise Invalid(node, f"{what} must be a whole number, not {describe(node)}")
    if len(str(scalar.value).lstrip("-")) > MAX_DIGITS:
        raise Invalid(node, f"{what} is too large ({scalar.value})")
    value = int(scalar.value)
    if value < minimum:
        raise Invalid(node, f"{what} must be a whole number from {minimum} (got {value})")
    return value


def as_decimal(node: Node, what: str, *, negative: bool = False) -> Decimal:
    """A number written as an integer or a quoted decimal string; a YAML float is refused."""
    scalar = _scalar(node, what, "a number")
    text = str(scalar.value).strip()
    if scalar.tag == FLOAT:
        raise Invalid(
            node,
            f'{what}: write decimal numbers as quoted strings, e.g. "{text}" '
            "(an unquoted YAML decimal is a binary float and can lose cents)",
        )
    if scalar.tag == STR and not DECIMAL_RE.fullmatch(text):  # "2,000.00", "$20", "25 seats"
        raise Invalid(
            node,
            f'{what} must be a number such as "10.50", not "{text}": digits and one decimal '
            "point only, without thousands separators, currency symbols or units",
        )
    if scalar.tag not in (INT, STR):
        raise Invalid(node, f'{what} must be a number such as "10.50", not {describe(node)}')
    if len(text.lstrip("-").split(".")[0]) > MAX_DIGITS:
        raise Invalid(node, f"{what} is too large ({text})")
    try:
        value = Decimal(text)
    except InvalidOperation as error:  # pragma: no cover - the regex admits only numbers
        raise Invalid(node, f"{what} is not a number ({text})") from error
    if value < 0 and not negative:
        raise Invalid(node, f"{what} must not be negative (got {text})")
    return value


def as_percent(node: Node, what: str) -> Decimal:
    """A percentage written as a string such as "7.25%", returned as a fraction (0.0725)."""
    scalar = _scalar(node, what, 'a percentage such as "7.25%"')
    match = PERCENT_RE.fullmatch(str(scalar.value).strip()) if scalar.tag == STR else None
    if match is None:
        raise Invalid(node, f'{what} must be a percentage such as "7.25%" (quoted, with %)')
    if len(match.group(1).lstrip("-").split(".")[0]) > MAX_PERCENT_DIGITS:
        raise Invalid(node, f"{what} is too large ({scalar.value})")
    value = Decimal(match.group(1)) / 100
    if value < 0:
        raise Invalid(node, f"{what} must not be negative")
    return value


def as_date(node: Node, what: str) -> datetime.date:
    scalar = _scalar(node, what, "a date (YYYY-MM-DD)")
    text = str(scalar.value).strip()
    if scalar.tag in (TIMESTAMP, STR) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            day = datetime.date.fromisoformat(text)
        except ValueError as error:
            raise Invalid(node, f'{what} "{text}" is not a real date ({error})') from error
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise Invalid(
                node, f'{what} "{text}" is out of range (years {FIRST_YEAR} to {LAST_YEAR})'
            )
        return day
    raise Invalid(node, f'{what} must be a date written YYYY-MM-DD, not "{text}"')
