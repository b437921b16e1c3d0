"""Similar proposals: TF-IDF on character n-grams of normalised text, cosine similarity.

Character n-grams work the same for Arabic, French and English and tolerate spelling
variants; the text is folded first (core.text). scikit-learn does the vectorising.
Scores are computed when a proposal is published or changed and stored, so pages only read.
scikit-learn (with scipy and numpy: ~1.8 s and ~116 MB) is imported inside the two functions
that use it, so that starting the app, a worker or a command does not pay for it.
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select

from tadamon.core.text import normalize_for_search
from tadamon.extensions import db
from tadamon.proposals.models import Proposal, ProposalState, Similarity

TOP = 5
MINIMUM = 0.12


def _text(proposal: Proposal) -> str:
    return normalize_for_search(f"{proposal.title} {proposal.title} {proposal.body}")


def refresh(proposal: Proposal) -> list[tuple[int, float]]:
    """Recomputes the nearest published proposals of `proposal` (all consultations).

    Runs when a proposal (or a draft) is saved: O(number of proposals) once per save, so that
    pages only read the stored scores (see the benchmark in scripts/benchmarks.py).
    """
    others = db.session.execute(
        select(Proposal.id, Proposal.title, Proposal.body).where(
            Proposal.state == ProposalState.PUBLISHED, Proposal.id != proposal.id)
    ).all()
    db.session.execute(delete(Similarity).where(
        or_(Similarity.proposal_id == proposal.id, Similarity.similar_id == proposal.id)))
    if not others or proposal.state not in (ProposalState.PUBLISHED, ProposalState.DRAFT):
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel

    corpus = [_text(proposal)] + [normalize_for_search(f"{title} {title} {body}") for _, title, body in others]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=1)
    matrix = vectorizer.fit_transform(corpus)
    scores = linear_kernel(matrix[0:1], matrix[1:]).ravel()
    ranked = sorted(((float(score), others[index][0]) for index, score in enumerate(scores) if score >= MINIMUM),
                    reverse=True)[:TOP]
    for score, other_id in ranked:
        db.session.add(Similarity(proposal_id=proposal.id, similar_id=other_id, score=score))
        # A draft shows its writer what exists; only published proposals appear to others.
        if proposal.state == ProposalState.PUBLISHED:
            db.session.add(Similarity(proposal_id=other_id, similar_id=proposal.id, score=score))
    db.session.flush()
    return [(other_id, score) for score, other_id in ranked]


def similar_to(proposal: Proposal) -> list[Similarity]:
    return list(db.session.scalars(
        select(Similarity).join(Proposal, Proposal.id == Similarity.similar_id)
        .where(Similarity.proposal_id == proposal.id, Proposal.state == ProposalState.PUBLISHED)
        .order_by(Similarity.score.desc()).limit(TOP)))


def refresh_all() -> int:
    """Recomputes every published proposal's neighbours in one pass (demo data, repairs):
    one TF-IDF fit and one sparse product instead of one fit per proposal."""
    rows = db.session.execute(
        select(Proposal.id, Proposal.title, Proposal.body).where(Proposal.state == ProposalState.PUBLISHED)
        .order_by(Proposal.id)).all()
    db.session.execute(delete(Similarity))
    if len(rows) < 2:
        return 0
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel

    matrix = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit_transform(
        [normalize_for_search(f"{title} {title} {body}") for _, title, body in rows])
    pairs = 0
    for start in range(0, len(rows), 500):
        block = linear_kernel(matrix[start:start + 500], matrix)
        for offset, scores in enumerate(block):
            index = start + offset
            scores[index] = 0.0
            best = scores.argsort()[::-1][:TOP]
            for other in best:
                if scores[other] >= MINIMUM:
                    db.session.add(Similarity(proposal_id=rows[index][0], similar_id=rows[other][0],
                                              score=float(scores[other])))
                    pairs += 1
    db.session.flush()
    return pairs
