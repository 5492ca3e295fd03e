"""Syntax errors: tree-sitter finds them, the interpreter names them (Python), newer syntax is no error."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from analysis.languages import LANGUAGES
from analysis.syntax_errors import MAX_PROBLEMS, SyntaxProblem, syntax_problems
from analysis.types import Pos, Span


def test_a_clean_file_has_none() -> None:
    assert syntax_problems("def f(x):\n    return [x, {'a': (1, 2)}]\n", "python") == []


def test_python_errors_carry_the_interpreters_message_at_its_place_in_utf8_columns() -> None:
    assert syntax_problems("café = f((1,\ny = 2\n", "python") == [
        SyntaxProblem(Span(Pos(0, 10), Pos(0, 11)), "'(' was never closed"),  # the inner "(", after a 2-byte é
    ]
    assert syntax_problems("if x\n    pass\n", "python") == [SyntaxProblem(Span(Pos(0, 4), Pos(0, 4)), "expected ':'")]


def test_syntax_newer_than_the_servers_interpreter_is_no_error() -> None:
    """Python 3.12's type statements and type parameters: tree-sitter's grammar knows them."""
    assert syntax_problems("type Pair[T] = tuple[T, T]\n\ndef first[T](pair: Pair[T]) -> T:\n    return pair[0]\n",
                           "python") == []


def test_an_error_tree_sitter_notices_late_gets_the_interpreters_place() -> None:
    """A missing ":": tree-sitter trips over the next line's first token, the interpreter names the cause."""
    assert syntax_problems("while i:\n    if x == y\n        del z\n", "python") == [
        SyntaxProblem(Span(Pos(1, 13), Pos(1, 13)), "expected ':'"),
    ]


def test_the_interpreters_error_does_not_move_an_error_two_statements_away() -> None:
    """On 3.11 the interpreter stops at `type` (3.12 syntax); the real error is further down and stays there."""
    problems = syntax_problems("type X = int\n\nx = 1\n\ndef f(:\n    pass\n", "python")
    assert [problem.span.start.line for problem in problems] == [4]


def test_an_indentation_error_the_grammar_accepts_is_reported() -> None:
    (problem,) = syntax_problems("for x in y:\npass\n", "python")
    assert problem.span.start == Pos(1, 0) and "expected an indented block" in problem.message


def test_other_languages_report_what_the_parser_skipped_or_missed() -> None:
    assert syntax_problems("fn main() { let x = ; }\n", "rust") == [
        SyntaxProblem(Span(Pos(0, 18), Pos(0, 19)), "syntax error: unexpected `=`"),
    ]
    (missing,) = syntax_problems("int main(void) {\n    return 0\n}\n", "c")
    assert missing == SyntaxProblem(Span(Pos(1, 12), Pos(1, 12)), "missing `;`")


def test_a_file_in_another_language_is_capped() -> None:
    problems = syntax_problems("\n".join(f"{n} + + + ) ) ]" for n in range(500)), "go")
    assert 0 < len(problems) <= MAX_PROBLEMS


CODE_PIECES = st.sampled_from([
    "def f(", "):", "class C:", "\n", "\n    ", "if x:", "else:", "{", "}", "(", ")", "[", "]", "'", '"', "# c",
    "/* c", "*/", "x = 1", "é", "😀", ",", ";", "\t", "\x00", "\r\n",
])


@given(pieces=st.lists(CODE_PIECES, max_size=40), lang=st.sampled_from([spec.name for spec in LANGUAGES]))
def test_problems_are_in_document_order_inside_the_text(pieces: list[str], lang: str) -> None:
    text = "".join(pieces)
    lines = text.split("\n")
    problems = syntax_problems(text, lang)
    assert len(problems) <= MAX_PROBLEMS
    for problem in problems:
        start, end = problem.span.start, problem.span.end
        assert start <= end and end.line < len(lines)
        assert start.col <= len(lines[start.line].encode("utf-8")) and end.col <= len(lines[end.line].encode("utf-8"))
        assert problem.message
    assert [p.span.start for p in problems] == sorted(p.span.start for p in problems)
