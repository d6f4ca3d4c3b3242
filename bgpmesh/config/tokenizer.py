"""Configuration text -> tokens -> a tree of statements.

Theory of operation: ``tokenize`` cuts the text into tokens, each knowing its
file, line and column; ``build_tree`` groups them into ``Statement`` nodes.
A statement is the words up to ``;`` (a simple statement) or up to ``{`` (a
block, whose children run to the matching ``}``).  The tree knows no keyword:
``parser.py`` gives it meaning, so this file never changes when the grammar
grows.

Lexical rules, as ExaBGP 4.2's ``configuration/core/format.py`` ``tokens``:

- ``#`` starts a comment to the end of the line, outside quotes;
- ``;``, ``{``, ``}``, ``[``, ``]``, ``(``, ``)`` and ``,`` are tokens of their
  own; whitespace separates words;
- ``"..."`` or ``'...'`` is one word (quotes removed, ``quoted`` set) that may
  hold any of those; a backslash escapes the next character (``\\n``, ``\\t``
  and ``\\r`` give control characters).  A string may not span lines;
- (5.0) a ``\\`` alone at the end of a line joins it to the next: it is
  dropped, as a statement runs to its ``;`` whatever the lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from bgpmesh.errors import ConfigError

_PUNCTUATION = frozenset(";{}[](),")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


@dataclass(frozen=True, slots=True, eq=False)
class Source:
    """One file's name and lines, to point errors at."""

    filename: str
    lines: tuple[str, ...]

    def error(self, message: str, line: int, column: int) -> ConfigError:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return ConfigError(message, self.filename, line, column, text)


class Token(NamedTuple):
    text: str
    line: int
    column: int
    quoted: bool
    source: Source

    @property
    def where(self) -> str:
        return f"{self.source.filename}:{self.line}"

    def error(self, message: str) -> ConfigError:
        return self.source.error(message, self.line, self.column)

    @property
    def punctuation(self) -> bool:
        return not self.quoted and self.text in _PUNCTUATION


@dataclass(frozen=True, slots=True, eq=False)
class Statement:
    """``words ;`` or ``words { children }``; ``end`` is the ``;`` or ``{`` token."""

    words: tuple[Token, ...]
    children: tuple[Statement, ...] | None
    end: Token

    @property
    def keyword(self) -> Token:
        return self.words[0]

    @property
    def is_block(self) -> bool:
        return self.children is not None


def tokenize(text: str, filename: str = "<string>") -> tuple[list[Token], Source]:
    lines = tuple(text.splitlines())
    source = Source(filename, lines)
    tokens: list[Token] = []
    for number, line in enumerate(lines, 1):
        position = 0
        length = len(line)
        while position < length:
            char = line[position]
            if char == "#":
                break
            if char.isspace():
                position += 1
            elif char in _PUNCTUATION:
                tokens.append(Token(char, number, position + 1, False, source))
                position += 1
            elif char == '"' or char == "'":
                start = position
                position += 1
                chars = []
                while True:
                    if position >= length:
                        raise source.error(f"unterminated string, expected a closing {char}",
                                           number, start + 1)
                    current = line[position]
                    if current == char:
                        position += 1
                        break
                    if current == "\\" and position + 1 < length:
                        position += 1
                        current = _ESCAPES.get(line[position], line[position])
                    chars.append(current)
                    position += 1
                tokens.append(Token("".join(chars), number, start + 1, True, source))
            else:
                start = position
                while (position < length and not line[position].isspace()
                       and line[position] not in _PUNCTUATION
                       and line[position] not in "#\"'"):
                    position += 1
                if line[start:position] == "\\" and not line[position:].strip():
                    break  # ExaBGP 5.0: a backslash ending a line continues it
                tokens.append(Token(line[start:position], number, start + 1, False, source))
    return tokens, source


def _end_of_file(source: Source) -> tuple[int, int]:
    if not source.lines:
        return 1, 1
    return len(source.lines), len(source.lines[-1]) + 1


def build_tree(tokens: list[Token], source: Source) -> tuple[Statement, ...]:
    """Group tokens into top-level statements; brace and semicolon errors here."""
    # An explicit stack rather than recursion: nesting depth is the user's.
    stack: list[tuple[list[Statement], list[Token], Token | None]] = [([], [], None)]
    for token in tokens:
        children, words, _ = stack[-1]
        text = token.text if not token.quoted else ""
        if text == ";":
            if words:
                children.append(Statement(tuple(words), None, token))
                words.clear()
            # An empty statement (a stray ';') says nothing; ExaBGP skips it too.
        elif text == "{":
            if not words:
                raise token.error("unexpected '{', expected a keyword before the block")
            stack.append(([], [], token))
        elif text == "}":
            if words:
                raise token.error(f"expected ';' after '{' '.join(w.text for w in words)}', "
                                  "found '}'")
            if len(stack) == 1:
                raise token.error("unexpected '}', no block is open")
            block_children, _, opening = stack.pop()
            parent_children, parent_words, _ = stack[-1]
            assert opening is not None
            parent_children.append(Statement(tuple(parent_words), tuple(block_children),
                                             opening))
            parent_words.clear()
        else:
            words.append(token)
    children, words, opening = stack[-1]
    line, column = _end_of_file(source)
    if len(stack) > 1:
        head = stack[-2][1]
        name = " ".join(w.text for w in head) if head else "block"
        assert opening is not None
        raise source.error(f"missing '}}' at end of file, expected one to close '{name}' "
                           f"opened at line {opening.line}", line, column)
    if words:
        raise source.error(f"expected ';' after '{' '.join(w.text for w in words)}' at end "
                           "of file", line, column)
    return tuple(children)


def parse_tree(text: str, filename: str = "<string>") -> tuple[Statement, ...]:
    tokens, source = tokenize(text, filename)
    return build_tree(tokens, source)
