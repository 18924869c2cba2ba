"""Button questions that also take typed answers.

Every step that offers buttons accepts the obvious typed answer, with the same
forgiving rules as intake: "yes, wrap up", "not now", "every week by chat". A
feature declares each such question once (`Question`: which buttons it stands
for, how words map to them, how to ask again) and records who was asked with
`ask`. A direct message then goes to the member's newest open question whose
words it matches, and is handled exactly as the click it stands for — the same
handler, the same checks. Answering, by click or by words, closes the question.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.tables import AskedQuestion

# (verb, arg) of the button the words stand for; several when one line answers several steps.
Answer = tuple[str, str]
OpenQuestion = tuple[str, str, datetime]  # (question name, key, asked at)
OpenFinder = Callable[[AsyncSession, int, int], Awaitable[list[OpenQuestion]]]

YES = ("yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "yes please", "of course", "definitely")
NO = ("no", "n", "nope", "nah", "no thanks", "no thank you")
_NEGATIONS = {"no", "not", "dont", "don't", "never", "nope", "nah"}
_FILLER = re.compile(r"\b(please|thanks|thank you|i think|i guess|let's|lets)\b")


@dataclass(frozen=True)
class Question:
    """A button step that also takes words.

    `kind` and `verbs` are the buttons it stands for (`mentor:<kind>:<key>:<verb>`);
    `parse(text, strict)` turns words into answers (empty: not an answer to this
    question); `strict` asks for words that name this question's choice — a bare
    "yes" or "5" only answers the newest question asked;
    `reask` is the question again with the words it takes. A `free_text`
    question takes any words: they are left for its feature's own text handler.
    `open_for` finds open questions from the feature's own state instead of
    `ask` rows (check-ins, sent in bulk, are their own record).
    """

    name: str
    kind: str
    verbs: tuple[str, ...]
    parse: Callable[[str, bool], tuple[Answer, ...]]
    reask: str
    free_text: bool = False
    open_for: OpenFinder | None = None


# --- words ---------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower case, curly quotes straightened, punctuation dropped, filler and spaces squeezed."""
    folded = text.casefold().replace("’", "'").replace("-", " ")
    folded = re.sub(r"[^\w' ]", " ", folded)
    folded = _FILLER.sub(" ", folded)
    return " ".join(folded.split())


def has_phrase(text: str, phrase: str) -> bool:
    """`phrase` appears in normalised `text` as whole words."""
    return re.search(rf"(?<!\w){re.escape(normalise(phrase))}(?!\w)", text) is not None


def typed_choice(
    text: str,
    phrases: Mapping[str, Iterable[str]],
    *,
    yes: str | None = None,
    no: str | None = None,
    strict: bool = False,
) -> str | None:
    """Which choice short typed words mean: a phrase of one choice (whole, or inside a short
    answer without a negation), else — unless `strict` — a plain yes or no when the question
    has one; None when unclear."""
    said = normalise(text)
    if not said:
        return None
    for verb, options in phrases.items():
        if said in {normalise(p) for p in options}:
            return verb
    words = said.split()
    if len(words) <= 10:
        hits = {verb for verb, options in phrases.items() for p in options if has_phrase(said, p)}
        negated = bool(_NEGATIONS & set(words))
        if len(hits) == 1 and not negated:
            return hits.pop()
    if strict:
        return None
    if yes is not None and (said in YES or words[0] in ("yes", "yeah", "yep", "yup", "sure", "ok", "okay")):
        return yes
    if no is not None and (said in NO or words[0] in ("no", "nope", "nah")):
        return no
    return None


def one(verb: str | None, arg: str = "") -> tuple[Answer, ...]:
    """The usual parse result: one button, or nothing."""
    return ((verb, arg),) if verb else ()


# --- who was asked -------------------------------------------------------------------------


async def ask(
    session: AsyncSession,
    community_id: int,
    member_ids: Iterable[int],
    name: str,
    key: str,
    now: datetime,
    *,
    fresh: bool = False,
) -> None:
    """Record that these members were asked `name` (asking again makes it the newest);
    `fresh`: the key is new (a pairing just created), so there is nothing to look up."""
    ids = sorted(set(member_ids))
    if not ids:
        return
    if not fresh:  # a new row, so that among questions asked at the same moment this one is the newest
        await close(session, ids, key=key, names=[name])
    session.add_all(
        [AskedQuestion(community_id=community_id, member_id=m, name=name, key=key, asked_at=now) for m in ids]
    )


async def close(session: AsyncSession, member_ids: Iterable[int], *, key: str, names: Iterable[str]) -> None:
    """The question is answered or no longer stands (a pairing ended): forget it for these members."""
    await session.execute(
        delete(AskedQuestion).where(
            col(AskedQuestion.member_id).in_(sorted(set(member_ids))),
            col(AskedQuestion.key) == key,
            col(AskedQuestion.name).in_(list(names)),
        )
    )


async def forget_member_questions(session: AsyncSession, member_id: int) -> None:
    await session.execute(delete(AskedQuestion).where(col(AskedQuestion.member_id) == member_id))


async def open_questions(
    session: AsyncSession, community_id: int, member_id: int, finders: Iterable[OpenFinder] = ()
) -> list[OpenQuestion]:
    """The member's open questions, newest first."""
    rows = (
        await session.execute(
            select(
                col(AskedQuestion.name), col(AskedQuestion.key), col(AskedQuestion.asked_at), col(AskedQuestion.id)
            ).where(col(AskedQuestion.member_id) == member_id, col(AskedQuestion.community_id) == community_id)
        )
    ).all()
    # Newest first; at the same moment the row asked last (the highest id) first.
    found: list[tuple[datetime, int, OpenQuestion]] = [(at, i or 0, (n, k, at)) for n, k, at, i in rows]
    for finder in finders:
        # At the same moment a feature's own record (a check-in) counts as asked before any row.
        found += [(q[2], 0, q) for q in await finder(session, community_id, member_id)]
    return [q for _, _, q in sorted(found, key=lambda f: (f[0], f[1]), reverse=True)]
