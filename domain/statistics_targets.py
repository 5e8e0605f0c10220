"""The targets the bureau's headline figures are held to (SPEC.md, "Archives, audit and statistics";
seed 000, the bureau's Q2 2026 plan): 精准识别率 at least 98 %; a legal time limit is a limit, so
every on-time rate (all limits, the green channel, the 急难型 24-hour rescue) and the payment
rates are held to 100 %. A figure is below its target when its exact fraction is: compared as
integers (numerator · 100 < target · denominator), never on the rounded percent, so 97.995 % is
below 98 % even though it prints as 98.00 %. No denominator (nothing to measure) is not below.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    percent: int  # the least acceptable rate, in whole percent
    text: str  # as the page prints it

    def is_below(self, numerator: int, denominator: int) -> bool:
        return denominator > 0 and numerator * 100 < self.percent * denominator


PRECISE_IDENTIFICATION = Target(98, "≥ 98 %")
ON_TIME = Target(100, "100 %（法定时限须全部按时办结）")
GREEN_CHANNEL = Target(100, "100 %（绿色通道时限须全部按时办结）")
EMERGENCY_24H = Target(100, "100 %（急难型 24 小时内先行救助）")
PAYMENT_TIMELINESS = Target(100, "100 %（发放日前全部到账）")
PAYMENT_ACCURACY = Target(100, "100 %")
