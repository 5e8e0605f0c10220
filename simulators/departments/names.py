"""Realistic names for a Guangzhou population: common Cantonese surnames weighted by frequency,
given names of one or two characters by gender, and plausible employers, hospitals and banks."""

from __future__ import annotations

import random

# Weighted roughly by frequency in Guangdong (陈, 李, 黄, 梁 lead there, unlike the national list).
_SURNAMES: tuple[tuple[str, int], ...] = (
    ("陈", 90), ("李", 70), ("黄", 60), ("梁", 40), ("张", 38), ("林", 35), ("刘", 32), ("吴", 28),
    ("何", 26), ("罗", 24), ("郑", 20), ("杨", 20), ("王", 20), ("周", 16), ("谢", 16), ("冯", 14),
    ("邓", 14), ("曾", 14), ("叶", 14), ("麦", 10), ("潘", 10), ("朱", 10), ("蔡", 10), ("钟", 10),
    ("彭", 8), ("卢", 8), ("余", 8), ("赖", 8), ("郭", 8), ("苏", 8), ("许", 8), ("胡", 8),
    ("徐", 6), ("高", 6), ("马", 6), ("孙", 6), ("袁", 6), ("莫", 6), ("关", 6), ("区", 4),
    ("欧阳", 3), ("司徒", 2), ("谭", 8), ("邹", 4), ("温", 4), ("汤", 4), ("江", 4), ("范", 3),
)  # fmt: skip
_SURNAME_NAMES = tuple(s for s, _ in _SURNAMES)
_SURNAME_WEIGHTS = tuple(w for _, w in _SURNAMES)

_MALE_CHARS = "伟强军明志建国华文杰俊浩宇峰辉健涛斌鹏磊永海锦家嘉子耀荣德振东森伦坤锋智宏立新泽"
_FEMALE_CHARS = "丽芳娟敏静婷燕玲霞秀英慧琳洁雪颖欣怡佩淑梅兰凤桂月翠思诗晓嘉彩艳妹琼珊玉"

_CITY_WORDS = ("珠江", "岭南", "羊城", "南方", "粤海", "华南", "海珠", "天河", "五羊", "穗丰")
_TRADES = ("物流", "餐饮", "贸易", "电子", "物业管理", "建筑工程", "服装", "科技", "家政服务", "保安服务")
_SHOP_KINDS = ("餐饮店", "便利店", "五金店", "服装店", "水果档", "汽车维修部", "理发店", "茶档")

HOSPITALS = (
    "中山大学附属第一医院",
    "广东省人民医院",
    "广州市第一人民医院",
    "广州医科大学附属第二医院",
    "海珠区妇幼保健院",
    "天河区人民医院",
    "赤岗街社区卫生服务中心",
    "五山街社区卫生服务中心",
)
BANKS = ("中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "广州农村商业银行", "招商银行")
BROKERS = ("广发证券", "中信证券", "招商证券")


def surname(rng: random.Random) -> str:
    return rng.choices(_SURNAME_NAMES, weights=_SURNAME_WEIGHTS)[0]


def given_name(rng: random.Random, male: bool) -> str:
    chars = _MALE_CHARS if male else _FEMALE_CHARS
    length = 2 if rng.random() < 0.75 else 1
    return "".join(rng.choice(chars) for _ in range(length))


def employer(rng: random.Random) -> str:
    return f"广州{rng.choice(_CITY_WORDS)}{rng.choice(_TRADES)}有限公司"


def shop_name(rng: random.Random, district: str) -> str:
    return f"{district}{rng.choice(_CITY_WORDS)}{rng.choice(_SHOP_KINDS)}"
