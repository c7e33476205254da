import pytest

from rostra.errors import Invalid, InvalidUrl
from rostra.urls import normalise, origin_of


@pytest.mark.parametrize(
    "link",
    [
        "https://news.example/world/river",
        "https://NEWS.example/world/river#comments",
        "https://news.example:443/world/river",
        "https://news.example/world/river?utm_source=x&utm_medium=email",
        "https://news.example/world/river?fbclid=abc&gclid=def#top",
        "https://news.example./world/river?mc_cid=1&mc_eid=2",
    ],
)
def test_one_article_is_one_url(link: str) -> None:
    assert normalise(link) == "https://news.example/world/river"


def test_meaningful_query_is_kept_and_sorted() -> None:
    assert (
        normalise("https://news.example/a?page=2&id=7&utm_campaign=z")
        == "https://news.example/a?id=7&page=2"
    )


def test_path_case_and_scheme_are_kept_apart() -> None:
    assert normalise("http://news.example/A") != normalise("https://news.example/a")


def test_empty_path_becomes_root_and_port_is_kept() -> None:
    assert normalise("http://localhost:8000") == "http://localhost:8000/"
    assert origin_of("http://LOCALHOST:8000/x?y=1") == "http://localhost:8000"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "news.example/a",
        "ftp://news.example/a",
        "javascript:alert(1)",
        "https://",
        "https://news.example/a b",
        "https://news.example:99999/a",
        "https://news.example/\x00",
        "https://news.example/" + "a" * 3000,
        # short as given, but over the limit once its query is re-encoded
        "https://news.example/a?q=" + '"' * 2000,
        "https://news.example/a?q=" + "é" * 1000,
    ],
)
def test_bad_urls_are_refused(bad: str) -> None:
    with pytest.raises(Invalid) as info:
        normalise(bad)
    assert info.value.code == "invalid_url"


def test_a_normalised_url_is_kept_and_a_bad_one_refused_every_time() -> None:
    """``normalise`` remembers its answers (the counts of a listing page are
    asked again and again): the same answer, and a refusal is never kept."""
    first = normalise("HTTPS://News.Example:443/a?utm_source=x&b=1#c")
    assert normalise("HTTPS://News.Example:443/a?utm_source=x&b=1#c") == first
    assert first == "https://news.example/a?b=1"
    for _ in range(2):
        with pytest.raises(InvalidUrl) as refused:
            normalise("ftp://news.example/a")
        assert refused.value.field == "url"
    with pytest.raises(InvalidUrl) as other:
        normalise("not a url", field="canonical_url")
    assert other.value.field == "canonical_url"
