"""analysis/search/terms.py: search's BM25 terms are stemmed sub-words, so a docstring's inflected words meet the
identifiers of code, while whole snake_case identifiers stay exact."""
from __future__ import annotations

from analysis.search.terms import search_terms, stem


def test_inflected_words_of_a_query_meet_the_sub_words_of_an_identifier() -> None:
    query = search_terms("Parses the headers of requests")
    code = search_terms("def parse_header(request):\n    return request.headers")
    assert set(query) <= set(code)


def test_whole_identifiers_are_kept_and_counts_add_up() -> None:
    terms = search_terms("read_files(paths); read_files(more_paths)")
    assert terms["read_files"] == 2 and terms[stem("files")] == 2 and stem("files") == stem("file")
    assert "more_paths" in terms and terms[stem("paths")] == 2
