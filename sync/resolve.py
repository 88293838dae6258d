"""Responses + decisions + previous state → organisations with stable IDs, review queue, anomalies.  Pure."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sync import labels
from sync.batch import collector_paused
from sync.comuni import index_for
from sync.config import Ambito
from sync.corrections import EntityCorrection, area_text, correct_current
from sync.decisions import Plan, apply_corrections, plan
from sync.match import Borrowed, Link, MatchRecord, MatchResult, match
from sync.model import (
    Checked,
    Decision,
    Organisation,
    Problem,
    Response,
    ReviewPair,
    RowOutcome,
    Severity,
    Status,
)
from sync.parse import reparse_choices
from sync.state import State, format_id, id_number
from sync.tipologia import admission_problem
from sync.validate import check, message, normalise_tax_code, zeros_lost

_STATUS_OF_VERB = {
    "Escludi": Status.EXCLUDED,
    "Sospendi": Status.SUSPENDED,
    "Ritira": Status.WITHDRAWN,
    "Riammetti": Status.ACTIVE,
}
_EPOCH = datetime(1900, 1, 1)
_NOT_ALNUM = re.compile(r"[\W_]+")


@dataclass
class Resolution:
    """The result of resolving responses + decisions + previous state."""

    outcomes: list[RowOutcome]  # one per response row, in sheet order
    organisations: list[Organisation]  # one per ID ever given, in ID order
    review: list[ReviewPair]
    anomalies: list[Problem]  # decisions that could not apply
    state: State


@dataclass(frozen=True)
class Resolved:
    """Checked rows after staff decisions, before grouping."""

    checked: list[Checked]
    plan: Plan


def check_all(
    responses: Sequence[Response],
    decisions: Sequence[Decision],
    ambito: Ambito,
    known_ids: set[str],
    bindings: Mapping[str, str] | None = None,
) -> Resolved:
    """Apply `Correggi`, validate every row, then apply `Accetta` / `Scarta`."""
    p = plan(list(decisions), {r.row: r.fingerprint for r in responses}, known_ids, bindings)
    out: list[Checked] = []
    damaged = zeros_lost(r.tax_code for r in responses)
    comuni = index_for(ambito)  # once per batch: looking it up per row hashes the whole settings model
    for response in responses:
        fixes = p.corrections.get(response.row)
        if fixes and "areas_raw" in fixes:
            fixes = {**fixes, "areas_raw": area_text(fixes["areas_raw"], ambito)}
        if fixes:
            response = apply_corrections(response, fixes)
            if {"areas_raw", "phases_raw"} & fixes.keys():
                response = reparse_choices(response, ambito)
        checked = admit(check(response, ambito, comuni, damaged_codes=damaged), ambito)
        verdict = p.row_verdicts.get(response.row)
        if verdict == "Accetta":
            checked = replace(checked, accepted_by_staff=True)
        elif verdict == "Scarta":
            checked = replace(checked, discarded_by_staff=True)
        out.append(checked)
    return Resolved(out, p)


def admit(checked: Checked, ambito: Ambito) -> Checked:
    """The checked row with a warning for staff if its category is not one the avviso admits."""
    if checked.blocking:
        return checked  # a rejected row is not a candidate: who may apply is asked of the others
    problem = admission_problem(checked, ambito.admitted)
    return checked if problem is None else replace(checked, problems=(*checked.problems, problem))


def _split_groups(
    clusters: Sequence[Sequence[int]], previous: Mapping[str, list[int]], detached: set[int]
) -> list[tuple[int, int]]:
    """Pairs that rejoin the rows of an earlier organisation the matcher now puts in several clusters."""
    cluster_of = {k: n for n, cluster in enumerate(clusters) for k in cluster}
    pairs: list[tuple[int, int]] = []
    for keys in previous.values():
        kept = [k for k in keys if k not in detached and k in cluster_of]
        pairs.extend((kept[0], k) for k in kept[1:] if cluster_of[k] != cluster_of[kept[0]])
    return pairs


def _record(key: int, c: Checked) -> MatchRecord:
    r = c.response
    return MatchRecord(
        key=key,
        name=r.name,
        tax_ids=(c.tax_code,) if c.tax_code else (),
        raw_tax_id=_NOT_ALNUM.sub("", normalise_tax_code(r.tax_code)),
        email=c.email,
        pec=c.pec,
        phone=c.phone,
        comune=c.comune_istat or r.comune.strip().casefold(),
        address=" ".join(r.address.casefold().split()),
        submitted_at=r.submitted_at,
        legal_form=r.legal_form,
        contact=r.contact_name,
    )


def _flag_borrowed(accepted: list[Checked], borrowed: Sequence[Borrowed]) -> list[Checked]:
    """A warning on each row whose tax code is also given by another body: perhaps copied."""
    if not borrowed:
        return accepted
    out = list(accepted)
    for b in borrowed:
        c, other = out[b.key], accepted[b.other]
        text = message("cf_forse_copiato", number=b.tax_id, other=other.response.name.strip())
        problem = Problem(c.row, "tax_code", "cf_forse_copiato", b.tax_id, Severity.WARNING, text)
        out[b.key] = replace(c, problems=(*c.problems, problem))
    return out


def _when(c: Checked) -> tuple[datetime, str]:
    return (c.response.submitted_at or _EPOCH, c.response.fingerprint)


@dataclass(frozen=True)
class _Links:
    """What earlier syncs and staff's decisions say about the accepted rows (indices in time order)."""

    previous: dict[str, list[int]]  # an earlier organisation's ID -> its rows now
    must: list[tuple[int, int]]
    cannot: list[tuple[int, int]]
    detached: set[int]  # rows staff split off (`Separa` on a row)
    origins: dict[str, str]  # fingerprint -> the organisation a detached row was split off


@dataclass(frozen=True)
class _Grouped:
    """The accepted rows grouped into organisations with their IDs: what the steps after matching read."""

    plan: Plan
    state: State
    ambito: Ambito
    accepted: list[Checked]  # in time order: the row index of the clusters
    clusters: list[list[int]]
    ids: list[str]  # one per cluster
    entity_of: dict[int, str]  # row index -> its organisation's ID
    evidence: dict[int, list[str]]  # row index -> the phrases of the links that merged it
    next_id: int


@collector_paused()  # a batch: see `sync.batch`
def resolve(
    responses: Sequence[Response], decisions: Sequence[Decision], state: State, ambito: Ambito
) -> Resolution:
    """Group accepted rows into organisations and give each a stable ID."""
    known_ids = {format_id(n) for n in range(1, state.next_id)}
    resolved = check_all(responses, decisions, ambito, known_ids, state.decisions)
    p = resolved.plan
    # order by time then fingerprint: never by sheet row, which shifts when rows are deleted
    accepted = sorted((c for c in resolved.checked if c.accepted), key=_when)
    links = _links(accepted, p, state)
    result = _match(accepted, links)
    accepted = _flag_borrowed(accepted, result.borrowed)
    ids, next_id = _assign(result.clusters, accepted, state, links.detached, links.origins)
    entity_of = {k: entity for cluster, entity in zip(result.clusters, ids, strict=True) for k in cluster}
    evidence: dict[int, list[str]] = defaultdict(list)
    for link in result.links:
        for phrase in link.evidence:
            if phrase not in evidence[link.a]:
                evidence[link.a].append(phrase)
    g = _Grouped(p, state, ambito, accepted, result.clusters, ids, entity_of, evidence, next_id)
    organisations = _organisations(g)
    return Resolution(
        outcomes=_outcomes(resolved.checked, g),
        organisations=organisations,
        review=_review(result.review, g, organisations),
        anomalies=list(p.problems),
        state=_new_state(g, links),
    )


def _links(accepted: list[Checked], p: Plan, state: State) -> _Links:
    """Staff's `Unisci` / `Separa` between organisations and rows, as pairs of accepted rows."""
    previous: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(accepted):
        prev = state.responses.get(c.response.fingerprint)
        if prev:
            previous[prev].append(i)
    must: list[tuple[int, int]] = []
    cannot: list[tuple[int, int]] = []
    for (a, b), verb in p.pairs.items():
        left, right = previous.get(a, []), previous.get(b, [])
        if verb == "Unisci" and left and right:
            must.append((left[0], right[0]))
        elif verb == "Separa":
            cannot.extend((x, y) for x in left for y in right)
    detached = {i for i, c in enumerate(accepted) if c.row in p.detach}
    origins: dict[str, str] = {}
    for i in detached:
        fp = accepted[i].response.fingerprint
        origin = state.detached.get(fp) or state.responses.get(fp) or ""
        if origin:
            origins[fp] = origin
        cannot.extend((i, j) for j in previous.get(origin, []) if j != i)
    return _Links(previous, must, cannot, detached, origins)


def _match(accepted: list[Checked], links: _Links) -> MatchResult:
    records = [_record(i, c) for i, c in enumerate(accepted)]
    result = match(records, must_link=links.must, cannot_link=links.cannot)
    kept = _split_groups(result.clusters, links.previous, links.detached)
    if kept:
        # rows an earlier sync gave one ID stay one organisation, as staff have known it, even when the row
        # that linked them is deleted or new rows make the matcher doubt: only staff split them (`Separa`)
        result = match(records, must_link=links.must, cannot_link=links.cannot, kept_link=kept)
    return result


def _outcomes(checked: list[Checked], g: _Grouped) -> list[RowOutcome]:
    """One outcome per response row, in sheet order."""
    by_row: dict[int, RowOutcome] = {}
    refs = g.plan.row_refs
    for i, c in enumerate(g.accepted):
        note = labels.ROW_VERDICT_NOTES["Accetta"].format(ref=refs.get(c.row)) if c.accepted_by_staff else ""
        by_row[c.row] = RowOutcome(c, g.entity_of[i], "accepted", note)
    for c in checked:
        if c.row not in by_row:
            note = (
                labels.ROW_VERDICT_NOTES["Scarta"].format(ref=refs.get(c.row)) if c.discarded_by_staff else ""
            )
            by_row[c.row] = RowOutcome(c, "", "rejected", note)
    return [by_row[c.row] for c in checked]


def _new_state(g: _Grouped, links: _Links) -> State:
    state = g.state
    new_state = State(
        responses=dict(state.responses),
        tax_codes=dict(state.tax_codes),
        detached={**state.detached, **links.origins},
        decisions={**state.decisions, **g.plan.bindings},
        next_id=g.next_id,
        public=state.public,
        order=dict(state.order),
    )
    for i, c in enumerate(g.accepted):
        fp = c.response.fingerprint
        # a row keeps the ID it was first given (so a later `Separa` can restore it), unless staff
        # detached it: then it keeps the new ID it got
        if fp not in new_state.responses or i in links.detached:
            new_state.responses[fp] = g.entity_of[i]
        if c.tax_code and c.tax_code not in new_state.tax_codes:
            new_state.tax_codes[c.tax_code] = g.entity_of[i]
    return new_state


def _review(links: Sequence[Link], g: _Grouped, organisations: list[Organisation]) -> list[ReviewPair]:
    """One review pair per pair of organisations, none staff separated or with a withdrawn side."""
    status = {o.id: o.status for o in organisations}
    review: list[ReviewPair] = []
    seen: set[tuple[str, str]] = set()
    for link in links:
        a, b = sorted((g.entity_of[link.a], g.entity_of[link.b]), key=id_number)
        if a == b or (a, b) in seen or g.plan.pairs.get((a, b)) == "Separa":
            continue
        if Status.WITHDRAWN in (status.get(a), status.get(b)):
            continue
        seen.add((a, b))
        review.append(ReviewPair(a, b, link.score, link.evidence))
    review.sort(key=lambda r: (id_number(r.a), id_number(r.b)))
    return review


def _assign(
    clusters: list[list[int]],
    accepted: list[Checked],
    state: State,
    detached: set[int],
    origins: dict[str, str],
) -> tuple[list[str], int]:
    """Give each cluster an ID: the one most of its rows had, else its tax code's, else a new one."""
    votes: list[Counter[str]] = []
    for cluster in clusters:
        counter: Counter[str] = Counter()
        for k in cluster:
            fp = accepted[k].response.fingerprint
            prev = state.responses.get(fp)
            # a row staff split off votes only once it has an ID of its own, not for the one it left
            if prev and not (k in detached and prev == origins.get(fp)):
                counter[prev] += 1
        votes.append(counter)
    ids: list[str | None] = [None] * len(clusters)
    taken: set[str] = set()
    offers = sorted(
        ((entity, ci, n) for ci, counter in enumerate(votes) for entity, n in counter.items()),
        key=lambda t: (-t[2], id_number(t[0]), clusters[t[1]][0]),
    )
    for entity, ci, _ in offers:
        if ids[ci] is None and entity not in taken:
            ids[ci] = entity
            taken.add(entity)
    # an edited response has a new fingerprint: its tax code still finds the organisation
    for ci, cluster in enumerate(clusters):
        if ids[ci] is not None:
            continue
        for k in cluster:
            anchor = state.tax_codes.get(accepted[k].tax_code) if accepted[k].tax_code else None
            if anchor and anchor not in taken:
                ids[ci] = anchor
                taken.add(anchor)
                break
    next_id = state.next_id
    # a cluster's rows are in ascending order, and the rows in time order: its first row is its earliest
    fresh = sorted(
        (ci for ci in range(len(clusters)) if ids[ci] is None),
        key=lambda ci: _when(accepted[clusters[ci][0]]),
    )
    for ci in fresh:
        ids[ci] = format_id(next_id)
        next_id += 1
    return [e for e in ids if e is not None], next_id


def _organisations(g: _Grouped) -> list[Organisation]:
    """One organisation per ID ever given, in ID order; IDs without rows are merged or empty."""
    fixes: dict[str, list[EntityCorrection]] = defaultdict(list)  # staff's `Correggi`, by ID
    for c in g.plan.entity_corrections:
        fixes[c.entity].append(c)
    by_id = {
        entity: _organisation(entity, cluster, g, fixes.get(entity, []))
        for cluster, entity in zip(g.clusters, g.ids, strict=True)
    }
    # where did the rows of an ID that no longer has a cluster go?
    moved: dict[str, Counter[str]] = defaultdict(Counter)
    for k, entity in g.entity_of.items():
        prev = g.state.responses.get(g.accepted[k].response.fingerprint)
        if prev and prev != entity:
            moved[prev][entity] += 1
    out: list[Organisation] = []
    for n in range(1, g.next_id):
        entity = format_id(n)
        if entity in by_id:
            out.append(by_id[entity])
            continue
        target = moved.get(entity)
        if target:
            into = min(target, key=lambda e: (-target[e], id_number(e)))
            out.append(_placeholder(entity, Status.MERGED, into))
        else:
            out.append(_placeholder(entity, Status.EMPTY, ""))
    _unapplied_corrections(g.plan, {o.id: o for o in out})
    return out


def _organisation(
    entity: str, cluster: list[int], g: _Grouped, fixes: list[EntityCorrection]
) -> Organisation:
    """The organisation of one cluster: its latest row (with staff's `Correggi`), phases, status."""
    p, ambito = g.plan, g.ambito
    members = [g.accepted[k] for k in cluster]  # in time order: the cluster's rows ascend, like `accepted`
    latest = members[-1]
    if fixes:
        latest, bound = correct_current(latest, members, fixes, g.state.decisions, ambito, index_for(ambito))
        p.bindings.update(bound)
    first = members[0]
    late = first.late
    phases = latest.response.phases or tuple(ph.code for ph in ambito.phases)
    if late:
        # late applicants join only the phases open after the deadline
        open_late = tuple(ph.code for ph in ambito.phases if ph.after_deadline)
        phases = tuple(ph for ph in phases if ph in open_late) or open_late
    proofs: list[str] = []
    for k in cluster:
        for phrase in g.evidence.get(k, []):
            if phrase not in proofs:
                proofs.append(phrase)
    verb, reason = p.status.get(entity, ("", ""))
    return Organisation(
        id=entity,
        rows=tuple(m.row for m in members),
        current=latest,
        first_at=first.response.submitted_at,
        last_at=latest.response.submitted_at,
        areas=latest.response.areas,
        phases=phases,
        late=late,
        status=_STATUS_OF_VERB.get(verb, Status.ACTIVE),
        status_note=reason,
        evidence=tuple(proofs),
    )


def _unapplied_corrections(p: Plan, orgs: Mapping[str, Organisation]) -> None:
    """A `Correggi` on an ID with no responses of its own (merged, discarded) is reported, not dropped."""
    reported: set[int] = set()
    for c in p.entity_corrections:
        o = orgs.get(c.entity)
        if o is None or o.rows or c.sheet_row in reported:
            continue
        reported.add(c.sheet_row)
        if o.status is Status.MERGED:
            detail = labels.DECISION_CORRECTION_MERGED.format(entity=c.entity, into=o.merged_into)
        else:
            detail = labels.DECISION_CORRECTION_EMPTY.format(entity=c.entity)
        text = labels.MESSAGES["decisione_non_applicabile"].format(detail=detail)
        p.problems.append(
            Problem(c.sheet_row, "Decisioni", "decisione_non_applicabile", c.entity, Severity.WARNING, text)
        )


def _placeholder(entity: str, status: Status, into: str) -> Organisation:
    empty = Checked(response=Response(row=0, submitted_at=None, submitted_raw=""), problems=())
    return Organisation(
        id=entity,
        rows=(),
        current=empty,
        first_at=None,
        last_at=None,
        areas=(),
        phases=(),
        late=False,
        status=status,
        merged_into=into,
    )


def match_records(accepted: Sequence[Checked]) -> list[MatchRecord]:
    """The matcher's input for checked rows, keyed by position: what `resolve` feeds `sync.match` (and what
    the benchmarks measure it on)."""
    return [_record(i, c) for i, c in enumerate(accepted)]
