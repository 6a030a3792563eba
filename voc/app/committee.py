"""Committee weights on the Priorities page: each member's pairwise judgements, and the members combined."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from voc.app import loaders, show
from voc.app.actions import act
from voc.app.frame import role
from voc.core.access import Role, allows
from voc.priorities.committee import (
    CONSISTENCY_LIMIT,
    JUDGEMENTS,
    PairwiseWeights,
    ahp_weights,
    committee_weights,
    judgement_pairs,
    judgement_value,
    pairwise_matrix,
    whole_percents,
)
from voc.priorities.ranking import Criterion
from voc.priorities.scenarios import save_scenario


def member_judgements(page: str, criteria: tuple[Criterion, ...]) -> PairwiseWeights:
    """Lay out one member's judgements of every pair of criteria; return their weights and consistency."""
    keys, labels = [c.key for c in criteria], {c.key: c.label for c in criteria}
    pairs = judgement_pairs(keys)
    table = pd.DataFrame({"first": [labels[a] for a, _ in pairs], "second": [labels[b] for _, b in pairs],
                          "judgement": "1"})  # fmt: skip
    edited = st.data_editor(
        table, key=f"{page}_ahp_judgements", hide_index=True, disabled=["first", "second"],
        column_config={
            "first": "Criterion", "second": "Against",
            "judgement": st.column_config.SelectboxColumn(
                "Times more important", options=list(JUDGEMENTS), required=True,
                help="Saaty's scale: 1 equal, 3 moderately, 5 strongly, 7 very strongly, 9 extremely more important; "
                "1/3 ... 1/9 when the second matters more.",
            ),
        },
    )  # fmt: skip
    judged = {pair: judgement_value(text) for pair, text in zip(pairs, edited["judgement"], strict=True)}
    return ahp_weights(keys, pairwise_matrix(keys, judged))


def committee_section(page: str, criteria: tuple[Criterion, ...]) -> None:
    """Offer pairwise judgements per member (AHP), their weights and consistency, and the committee's combination."""
    st.markdown(
        "For each pair, how many times more important is the criterion than the one against it? Enter one member's "
        "judgements, save them as that member's scenario, then combine the members' scenarios into the committee's."
    )
    result = member_judgements(page, criteria)
    labels = {c.key: c.label for c in criteria}
    percents = whole_percents(result.weights)
    weights = pd.DataFrame({"criterion": [labels[k] for k in percents], "weight": list(percents.values())})
    shown = {"criterion": "Criterion", "weight": st.column_config.NumberColumn("Weight (%)")}
    show.table(weights, name="committee-member-weights", key=f"{page}_ahp_weights", column_config=shown)
    said = f"Consistency ratio {result.consistency_ratio:.3f} (Saaty: {CONSISTENCY_LIMIT} or less is consistent)."
    if result.consistent:
        st.caption(said)
    else:
        st.warning(f"{said} These judgements contradict each other: look again at the strongest ones.")
    if not allows(role(), Role.ANALYST):
        return
    member, combine = st.columns(2)
    name = member.text_input("Save these weights as the scenario of member", key=f"{page}_ahp_member", max_chars=100)
    if member.button("Save member's weights", key=f"{page}_ahp_save", disabled=not name.strip()):
        with member:
            act(save_scenario, name, percents, done=f"Saved “{name.strip()}”.")
    chosen = combine.multiselect("Members' scenarios to combine", list(loaders.scenarios()), key=f"{page}_ahp_members")
    committee = combine.text_input("Save the geometric mean as", key=f"{page}_ahp_committee", max_chars=100)
    if combine.button("Save the committee's weights", key=f"{page}_ahp_combine", disabled=not (chosen and committee)):
        saved = loaders.scenarios()
        with combine:
            combined = whole_percents(committee_weights({member: saved[member] for member in chosen}))
            members = f"{len(chosen)} member{'s' * (len(chosen) != 1)}"
            act(save_scenario, committee, combined, done=f"Saved “{committee.strip()}” from {members}.")
