"""The benchmarks' one pair scorer (`bench.common.pair_scores`) counts as the shared `score_resolve.py`."""

from __future__ import annotations

from bench.common import PairScores, cluster_of, pair_scores, score_clusters


def test_pairs_of_rows_in_one_organisation_are_scored_over_the_rows_both_sides_hold() -> None:
    truth = {2: "a", 3: "a", 4: "a", 5: "b", 6: "c", 9: "d"}  # row 9: rejected by the prediction
    predicted = {2: "X", 3: "X", 4: "Y", 5: "X", 6: "Z", 7: "Z"}  # row 7: rejected by the truth
    # true pairs (2,3) (2,4) (3,4); predicted (2,3) (2,5) (3,5): one hit, two false, two missed
    assert pair_scores(truth, predicted) == PairScores(
        precision=1 / 3,
        recall=1 / 3,
        false_pairs=2,
        missed_pairs=2,
        organisations_true=4,
        organisations_predicted=3,
    )


def test_nothing_to_pair_is_a_perfect_score_and_clusters_are_a_prediction() -> None:
    none = pair_scores({1: "a", 2: "b"}, {1: "X", 2: "Y"})
    assert (none.precision, none.recall) == (1.0, 1.0)
    assert cluster_of([[0, 2], [1]]) == {0: 0, 2: 0, 1: 1}
    scores = score_clusters([[0, 1, 2], [3]], {0: 0, 1: 0, 2: 1, 3: 1})
    assert (scores.precision, scores.recall, scores.false_pairs, scores.missed_pairs) == (1 / 3, 1 / 2, 2, 1)
