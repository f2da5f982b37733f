"""A text's opening as a list shows it: whole when short, cut at a word when long."""

from __future__ import annotations

from marketplace_contracts.text.summary import SUMMARY_CHARS, summary_of

PROBLEM = (
    "Personalen inom äldreomsorgen behöver öva bemötande av personer med demenssjukdom "
    "i svåra situationer, utan att det går ut över brukarna. Idag sker övningen på "
    "arbetsplatsträffar med rollspel, vilket är svårt att schemalägga för nattpersonal "
    "och vikarier. Vi söker ett sätt att träna som går att göra när det passar, på "
    "svenska och andra språk som personalen talar, och som går att följa upp."
)


def test_a_summary_keeps_a_short_problem_whole_and_cuts_a_long_one_at_a_word() -> None:
    assert summary_of("  Snöröjning   på\ncykelbanor. ") == "Snöröjning på cykelbanor."
    cut = summary_of(PROBLEM)
    assert len(cut) <= SUMMARY_CHARS and cut.endswith("…")
    assert PROBLEM.startswith(cut[:-1])  # a whole-word opening of the problem
    assert PROBLEM[len(cut) - 1] == " "  # cut at a space, not inside a word
    assert "äldreomsorgen" in cut
    assert summary_of("å" * 400).endswith("…") and len(summary_of("å" * 400)) == SUMMARY_CHARS
