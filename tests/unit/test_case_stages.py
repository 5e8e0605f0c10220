"""The stage bar's steps come from the case's policy: standard, 急难型, review on dispute, endings."""

from __future__ import annotations

from domain.case_stages import OPINION, StepState, stage_path
from domain.enums import AssistanceType, Stage
from domain.policy import AssistancePolicy, ReviewMode
from domain.staff import Role


def _steps(policy: AssistancePolicy, stage: Stage, visited: set[str], **kw: bool) -> list[tuple[str, str]]:
    return [(s.label, s.state.value) for s in stage_path(policy, stage, visited=visited, **kw)]


DIBAO = AssistancePolicy(AssistanceType.DIBAO, "城乡低保", democratic_review=ReviewMode.ALWAYS)


def test_a_dibao_case_in_verification_shows_the_whole_standard_path_ahead() -> None:
    assert _steps(DIBAO, Stage.VERIFICATION, {"intake", "verification"}) == [
        ("受理", "done"), ("家庭经济状况核查", "current"), ("民主评议", "upcoming"), ("乡镇初审意见", "upcoming"),
        ("公示", "upcoming"), ("县级审批", "upcoming"), ("已批准", "upcoming"),
    ]  # fmt: skip


def test_an_open_township_opinion_is_the_current_step_though_the_stage_has_not_changed() -> None:
    steps = stage_path(DIBAO, Stage.DEMOCRATIC_REVIEW, visited={"intake", "verification", "democratic_review"},
                       opinion_open=True)  # fmt: skip
    assert [s.key for s in steps if s.state is StepState.CURRENT] == [OPINION]


def test_emergency_aid_walks_rescue_then_paperwork() -> None:
    policy = AssistancePolicy(
        AssistanceType.TEMP_EMERGENCY, "临时救助（急难型）", emergency=True, publicity=False,
        democratic_review=ReviewMode.NEVER, approver_role=Role.TOWNSHIP_HEAD, recurring=False,
    )  # fmt: skip
    assert _steps(policy, Stage.PAPERWORK, {"intake", "rescue", "paperwork"}) == [
        ("受理", "done"), ("先行救助", "done"), ("补办手续", "current"), ("已救助", "upcoming"),
    ]  # fmt: skip


def test_review_on_dispute_appears_only_once_the_case_was_reviewed() -> None:
    policy = AssistancePolicy(
        AssistanceType.DIBAO_EDGE, "低保边缘家庭", democratic_review=ReviewMode.ON_DISPUTE
    )
    labels = [s.label for s in stage_path(policy, Stage.VERIFICATION, visited={"intake", "verification"})]
    assert "民主评议" not in labels
    reviewed = stage_path(
        policy, Stage.PUBLICITY, visited={"intake", "verification", "democratic_review", OPINION}
    )
    assert "民主评议" in [s.label for s in reviewed]


def test_a_withdrawn_case_ends_on_withdrawal_and_what_it_never_reached_is_passed_over() -> None:
    steps = _steps(DIBAO, Stage.WITHDRAWN, {"intake", "verification", "withdrawn"})
    assert steps[0] == ("受理", "done") and steps[1] == ("家庭经济状况核查", "done")
    assert steps[2:] == [
        ("民主评议", "passed_over"), ("乡镇初审意见", "passed_over"), ("公示", "passed_over"),
        ("县级审批", "passed_over"), ("已撤回", "current"),
    ]  # fmt: skip
