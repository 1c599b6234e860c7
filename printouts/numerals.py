"""Amounts in Chinese capital numerals (人民币大写) as written on vouchers and cheques.

The rules are those of the PBOC payment settlement measures (《支付结算办法》): 拾 always
carries its digit (壹拾), a run of zeros inside the number is one 零, a whole-zero 万 group
is one 零, and the amount ends in 整 when there are no 分. When the 角 digit is zero
between 元 and a 分, the 零 is written (壹仟元零伍分).
"""

from __future__ import annotations

from decimal import Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("仟", "佰", "拾", "")
#: The unit of each group of four digits, lowest first: up to 9999亿.
GROUPS = ("", "万", "亿")
LIMIT = Decimal(10) ** (4 * len(GROUPS))
CENT = Decimal("0.01")
PREFIX = "人民币"


def _group(value: int) -> str:
    """One group of four digits (1 ≤ value ≤ 9999) without leading zeros: 1010 → 壹仟零壹拾."""
    out, zero = "", False
    for digit, place in zip(f"{value:04d}", PLACES, strict=True):
        if digit == "0":
            zero = bool(out)
            continue
        out += ("零" if zero else "") + DIGITS[int(digit)] + place
        zero = False
    return out


def _yuan(value: int) -> str:
    """The whole yuan in capitals (value > 0): 10010 → 壹万零壹拾, 100001000 → 壹亿零壹仟."""
    groups = []
    while value:
        value, rest = divmod(value, 10000)
        groups.append(rest)
    out, zero = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            zero = True
            continue
        if out and (zero or group < 1000):
            out += "零"
        out += _group(group) + GROUPS[index]
        zero = False
    return out


def _checked(amount: Decimal | int) -> Decimal:
    """The amount as a Decimal of whole cents; ValueError/TypeError for anything else."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"an amount must be a Decimal (money is never a float), not {amount!r}")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValueError(f"{amount} is not an amount")
    if amount < 0:
        raise ValueError(f"a negative amount ({amount}) has no capital form on a voucher")
    if amount != amount.quantize(CENT):
        raise ValueError(f"{amount} has fractions of a 分; round it to the cent first")
    if amount >= LIMIT:
        raise ValueError(f"{amount} is too large (the limit is 9999亿)")
    return amount.quantize(CENT)


def rmb_upper(amount: Decimal | int) -> str:
    """`amount` in capitals, e.g. 198.50 → 人民币壹佰玖拾捌元伍角整; ValueError if negative."""
    amount = _checked(amount)
    cents = int(amount * 100)
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    if cents == 0:
        return f"{PREFIX}零元整"
    out = f"{_yuan(yuan)}元" if yuan else ""
    if jiao:
        out += f"{DIGITS[jiao]}角"
    elif fen and yuan:
        out += "零"
    out += f"{DIGITS[fen]}分" if fen else "整"
    return PREFIX + out
