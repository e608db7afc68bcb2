"""YAML syntax errors in plain words, each with the fix.

libyaml (the fast parser) says where YAML gave up, in a parser's words
("while parsing a block mapping … expected <block end>"). PyYAML's pure-Python
parser, run again on the text only when it has an error, carries the context
of the error in its marks; from both we say what is wrong in the words a
learner or an instructor uses, and how to put it right.
"""

from __future__ import annotations

import yaml

from k8slearn.problems import Problem

PLAIN_LIMIT = 1024 * 1024  # the slow parser re-reads at most this much text


def yaml_syntax_problem(text: str) -> Problem | None:
    """The first YAML syntax error of `text` in plain words, with the fix; None if none
    (or when the text is too long to read again with the slow parser)."""
    if len(text) > PLAIN_LIMIT:
        return None
    if text.lstrip().startswith(("{", "[")):
        text = text.replace("\t", " ")  # JSON, where tabs are white space (as the loader does)
    loader = yaml.SafeLoader(text)  # the pure-Python parser: its marks carry the context
    try:
        while loader.check_node():
            loader.get_node()
    except yaml.MarkedYAMLError as exc:
        return plain_yaml_error(exc, text)
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    return None


_QUOTE_IT = "quote the value: 'like this'"


def plain_yaml_error(
    exc: yaml.MarkedYAMLError, text: str, parser_words_when_unknown: bool = False
) -> Problem:
    """`exc` (from either parser) in plain words. An error we have no words for gets a
    general hint, or with `parser_words_when_unknown` the parser's own message."""
    problem = exc.problem or ""
    context = exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    lines = text.splitlines()

    def at(m) -> str:
        if m is None or m.line >= len(lines) or m.column >= len(lines[m.line]):
            return ""
        return lines[m.line][m.column]

    char = at(mark)
    hint = ""
    if "\t" in problem or "'\\t'" in problem or char == "\t":
        message = "a tab character is used for indentation"
        hint = "YAML indents with spaces only: replace the tab with spaces"
    elif "mapping values are not allowed" in problem:
        message = "a `key: value` is not allowed here"
        hint = "check this line's indentation against the line above, or " + _QUOTE_IT
    elif "could not find expected ':'" in problem:
        message = "expected `key: value` but found no ':'"
        hint = "check the indentation, or a missing ':' after a key"
    elif "block mapping" in context:
        message = "this line is not indented like the other keys of its mapping"
        hint = "line up the keys of one mapping at the same column"
    elif "block collection" in context or "expected '-' indicator" in problem:
        message = "this line is not indented like the list's items"
        hint = "start each item of a list with `- ` at the same column"
    elif "flow mapping" in context:
        message = "a `{…}` is not closed, or its entries are not separated by `,`"
        hint = "close it with `}`; a text value that starts with `{` must be quoted"
    elif "flow sequence" in context:
        message = "a `[…]` is not closed, or its items are not separated by `,`"
        hint = "close it with `]`; a text value that starts with `[` must be quoted"
    elif "quoted scalar" in context and "end of stream" in problem:
        message = "a quoted value is never closed"
        hint = "add the closing quote"
        mark = exc.context_mark or mark
    elif "quoted scalar" in context and "escape" in problem:
        message = "a double-quoted value holds an unknown escape sequence (a `\\` before a letter)"
        hint = "use single quotes, or write `\\\\` for a backslash"
    elif "duplicate anchor" in context + problem:  # the parser says it in the context
        message = "an anchor (`&name`) is defined twice"
        hint = "give each anchor its own name"
    elif "alias" in context or "anchor" in context:
        sign = "*" if "alias" in context else "&"
        message = f"a value cannot start with `{sign}` (it begins an alias or anchor)"
        hint = _QUOTE_IT
    elif "block scalar" in context:
        message = "after `|` or `>` only `-`, `+`, an indentation digit or a comment may follow"
        hint = "start the text on the next line, indented"
    elif "cannot start any token" in problem:
        shown = "a backtick" if char == "`" else f"`{char}`" if char else "this character"
        message = f"a value cannot start with {shown}"
        hint = _QUOTE_IT
    elif "undefined alias" in problem:
        message = "an alias (`*name`) has no anchor (`&name`) before it"
        hint = "define the anchor first, or " + _QUOTE_IT
    elif "directive" in context:
        message = "a line starting with `%` is read as a YAML directive"
        hint = _QUOTE_IT
    elif "document start" in problem or "document end" in problem:
        message = "more text follows the end of the document"
        hint = "check the indentation of this line; a second document starts with `---`"
    elif "expected the node content" in problem:
        message = "a value is missing here"
        hint = "write the value, or " + _QUOTE_IT
    elif parser_words_when_unknown:
        message = f"{context}, {problem}" if context else (problem or "invalid YAML")
    else:
        message = "YAML cannot read this"
        hint = (
            "check the indentation, and quote values that hold `: ` or ` #` or start with "
            "one of { [ * & ! | > ' \" % @ `"
        )
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    return Problem(f"YAML syntax error: {message}", line=line, column=column, hint=hint)
