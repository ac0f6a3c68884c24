#!/usr/bin/env python3
"""Screening at scale: index N generated designations and aliases, then time screening.

Names are generated from a fixed seed: individuals (a common surname and a one- or
two-syllable given name, as pinyin; a third of them also in Chinese script, some with a handle
as alias) and firms (a place, a coined pinyin word, generic words and a legal form; some also in
Chinese script), plus the real evaluation set from tests/fixtures/screening. The queries mix
listed names written otherwise (order, case, hyphens, Chinese script, a typo, another company
form) and names that are not listed (common names, other firms).

usage: screening_bench.py [--names 100000] [--queries 1000] [--batch 10000] [--seed 2014]
Prints JSON lines and a markdown table.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import time
from pathlib import Path

from accord.screening import Listed, Screener

FIXTURES = Path(__file__).parents[1] / "tests" / "fixtures" / "screening"


def readings(pairs: str) -> dict[str, str]:
    return dict(pair.split(":") for pair in pairs.split())


# Common surnames and given-name characters with their readings (pypinyin reads them the same).
SURNAMES = readings(
    "王:wang 李:li 张:zhang 刘:liu 陈:chen 杨:yang 黄:huang 赵:zhao 吴:wu 周:zhou 徐:xu "
    "孙:sun 马:ma 朱:zhu 胡:hu 郭:guo 何:he 林:lin 罗:luo 高:gao 郑:zheng 梁:liang "
    "谢:xie 宋:song 唐:tang 许:xu 韩:han 冯:feng 邓:deng 曹:cao 彭:peng 曾:zeng 肖:xiao "
    "田:tian 董:dong 潘:pan 袁:yuan 蔡:cai 蒋:jiang 余:yu 于:yu 杜:du 叶:ye 程:cheng "
    "魏:wei 苏:su 吕:lv 丁:ding 任:ren 卢:lu 姚:yao 沈:shen 钟:zhong 姜:jiang 崔:cui "
    "谭:tan 陆:lu 范:fan 汪:wang 廖:liao 石:shi 金:jin 韦:wei 贾:jia 夏:xia 付:fu"
)
GIVEN = readings(
    "伟:wei 芳:fang 娜:na 敏:min 静:jing 丽:li 强:qiang 磊:lei 军:jun 洋:yang 勇:yong "
    "艳:yan 杰:jie 涛:tao 明:ming 超:chao 秀:xiu 霞:xia 平:ping 刚:gang 桂:gui 华:hua "
    "建:jian 国:guo 志:zhi 文:wen 海:hai 波:bo 宇:yu 浩:hao 然:ran 晓:xiao 辉:hui "
    "春:chun 凯:kai 亮:liang 新:xin 振:zhen 士:shi 龙:long 立:li 川:chuan 东:dong "
    "林:lin 峰:feng 鹏:peng 飞:fei 斌:bin 宁:ning 博:bo 成:cheng 俊:jun 思:si 佳:jia "
    "欣:xin 雪:xue 梅:mei 玉:yu 红:hong 英:ying 云:yun 燕:yan 琳:lin 晨:chen 阳:yang"
)
PLACES = [
    "Beijing",
    "Shanghai",
    "Sichuan",
    "Chengdu",
    "Wuhan",
    "Hainan",
    "Guangzhou",
    "Shenzhen",
    "Hangzhou",
    "Nanjing",
    "Tianjin",
    "Chongqing",
    "Xiamen",
    "Jinan",
]
GENERIC = [
    "Network Technology",
    "Information Technology",
    "Science and Technology",
    "Technology Development",
    "Software",
    "Security Technology",
    "Digital Technology",
]
LEGAL = [
    "Co., Ltd.",
    "Company, Limited",
    "Company Limited",
    "Inc.",
    "Corporation",
    "Group Co., Ltd.",
    "LLC",
]
SYLLABLES = sorted(set(GIVEN.values()) | set(SURNAMES.values()))
RISKY = {"lv"}  # spelt lü in some sources; keep generated names unambiguous


def person(rnd: random.Random) -> tuple[str, str]:
    surname = rnd.choice(list(SURNAMES))
    given = "".join(rnd.choice(list(GIVEN)) for _ in range(rnd.choice((1, 2, 2))))
    latin = f"{SURNAMES[surname].title()} {''.join(GIVEN[c] for c in given).title()}"
    return latin, surname + given


def firm(rnd: random.Random) -> str:
    coined = "".join(rnd.choice(SYLLABLES) for _ in range(rnd.choice((2, 2, 3)))).title()
    return f"{rnd.choice(PLACES)} {coined} {rnd.choice(GENERIC)} {rnd.choice(LEGAL)}"


def handle(rnd: random.Random) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    word = "".join(rnd.choice(letters) for _ in range(rnd.randint(5, 10)))
    return word.title() + (str(rnd.randint(0, 99)) if rnd.random() < 0.3 else "")


def generate(count: int, seed: int) -> list[Listed]:
    """Listed entries holding `count` names and aliases in all, the real set included."""
    rnd = random.Random(seed)
    listed = [
        Listed(e["id"], e["name"], tuple(e.get("aliases", ())), e["kind"])
        for e in json.loads((FIXTURES / "listed.json").read_text())
    ]
    names = sum(1 + len(e.aliases) for e in listed)
    n = 0
    while names < count:
        n += 1
        if rnd.random() < 0.7:
            latin, han = person(rnd)
            aliases = tuple(
                alias for alias, p in ((han, 0.35), (handle(rnd), 0.25)) if rnd.random() < p
            )
            entry = Listed(f"person-{n}", latin, aliases)
        else:
            entry = Listed(f"firm-{n}", firm(rnd), kind="organization")
        listed.append(entry)
        names += 1 + len(entry.aliases)
    return listed


def variant(name: str, rnd: random.Random) -> str:
    """A listed name written otherwise: order, case, a hyphen, a typo or another legal form."""
    words = name.split()
    roll = rnd.random()
    if roll < 0.25 and len(words) == 2:
        return f"{words[1]} {words[0]}"
    if roll < 0.4:
        return name.upper()
    if roll < 0.6 and len(words[-1]) >= 6:
        at = rnd.randrange(1, len(words[-1]) - 1)
        last = words[-1]
        return " ".join([*words[:-1], last[:at] + last[at + 1] + last[at] + last[at + 2 :]])
    if roll < 0.75:
        return name.replace("Co., Ltd.", "Company Limited")
    return name


def queries(listed: list[Listed], count: int, seed: int) -> list[str]:
    rnd = random.Random(seed + 1)
    asked = []
    for _ in range(count):
        roll = rnd.random()
        if roll < 0.5:
            entry = rnd.choice(listed)
            asked.append(variant(rnd.choice((entry.name, *entry.aliases)), rnd))
        elif roll < 0.85:
            asked.append(person(rnd)[rnd.randrange(2)])
        else:
            asked.append(firm(rnd))
    return asked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2014)
    args = parser.parse_args()

    listed = generate(args.names, args.seed)
    names = sum(1 + len(e.aliases) for e in listed)
    started = time.perf_counter()
    screener = Screener(listed)
    indexed = time.perf_counter() - started
    gc.freeze()  # the index is long-lived: keep the collector from walking it on every query
    print(
        json.dumps(
            {"phase": "index", "entries": len(listed), "names": names, "seconds": round(indexed, 2)}
        )
    )

    timings = []
    matched = 0
    for query in queries(listed, args.queries, args.seed):
        started = time.perf_counter()
        found = screener.screen(query)
        timings.append((time.perf_counter() - started) * 1000)
        matched += bool(found and found[0].match)
    percentiles = statistics.quantiles(timings, n=100)
    p50, p95, p99 = percentiles[49], percentiles[94], percentiles[98]
    print(
        json.dumps(
            {
                "phase": "one name",
                "queries": len(timings),
                "p50_ms": round(p50, 2),
                "p95_ms": round(p95, 2),
                "p99_ms": round(p99, 2),
                "max_ms": round(max(timings), 2),
                "mean_ms": round(statistics.fmean(timings), 2),
                "matched": matched,
            }
        )
    )

    batch = queries(listed, args.batch, args.seed + 7)
    started = time.perf_counter()
    batch_matched = sum(bool(found and found[0].match) for found in map(screener.screen, batch))
    took = time.perf_counter() - started
    print(
        json.dumps(
            {
                "phase": "batch",
                "names": len(batch),
                "seconds": round(took, 2),
                "matched": batch_matched,
            }
        )
    )

    print()
    print(f"| {names:,} names and aliases of {len(listed):,} entries | measured | target |")
    print("|---|---|---|")
    print(f"| building the index | {indexed:.1f} s | |")
    print(f"| one name, p50 | {p50:.2f} ms | |")
    print(f"| one name, p95 | {p95:.2f} ms | ≤ 20 ms |")
    print(f"| one name, p99 / max | {p99:.2f} / {max(timings):.2f} ms | |")
    print(f"| batch of {len(batch):,} names | {took:.1f} s | ≤ 30 s |")


if __name__ == "__main__":
    main()
